/**
 * The runner helper's program (see runner-helper.ts): it starts runners for the
 * `rigor work` process that forked it, and reports each pid and exit back over
 * the IPC channel. It is small, so a fork of it is cheap, and it leaves as
 * soon as that channel closes: rigor exited, however it exited.
 */
import {launcherOver, type LaunchedRunner, type RunnerLaunch} from './launcher.js'
import {SandboxSlots} from './sandbox-slots.js'
import type {HelperReply, HelperRequest} from './runner-helper-protocol.js'

// rigor decides when its runners stop: a Ctrl-C reaches the terminal's whole process group, this process
// included, and a batch system's SIGTERM reaches every process of the job; rigor handles both and then leaves,
// which closes the channel
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {})

const reply = (message: HelperReply) => {
  if (process.connected) process.send?.(message)
}

// this process's environment is rigor's as it was at the fork, and nothing here changes it: copied once, not per run
const base = {...process.env}
// sandboxes kept from run to run (sandbox-slot.ts): they die with this process, their directories are removed
// when it leaves (or, killed, by the next one to start a slot)
const slots = SandboxSlots.create(base)
const launcher = launcherOver(base, slots)
// held launches, until they are released
const held = new Map<number, LaunchedRunner>()
// a sandbox still waiting for its start is killed before this process's exit closes its pipe (an end of file would
// start its runner)
process.on('disconnect', () => {
  for (const run of held.values()) run.release(false)
  // a slot that does not end at once does not hold this process: it dies with it (--die-with-parent)
  setTimeout(() => process.exit(0), 2000)
  void (slots?.close() ?? Promise.resolve()).finally(() => process.exit(0))
})

process.on('message', (request: HelperRequest) => {
  if ('release' in request) {
    held.get(request.id)?.release(request.release)
    held.delete(request.id)
    return
  }
  let run: LaunchedRunner
  try {
    run = launcher.launch(request.launch as RunnerLaunch)
  } catch (err) {
    // one launch that throws fails alone: the other runs this process follows go on
    reply({id: request.id, pid: null, start: null})
    reply({id: request.id, exit: {code: null, signal: null, error: (err as Error).message}})
    return
  }
  if (request.launch.hold) held.set(request.id, run)
  // the start time is read here, off the work loop's thread
  void run.started.then((pid) =>
    reply({id: request.id, pid: pid ?? null, start: pid ? (run.startTime() ?? null) : null, kept: run.keptSandbox?.() ?? false}),
  )
  void run.exited.then((exit) => {
    held.delete(request.id)
    reply({id: request.id, exit})
  })
})
reply({ready: true})
