/**
 * The kept sandboxes of a runner helper (sandbox-slot.ts): a run whose
 * sandbox would be the same as an idle slot's (the same workspace, readable
 * files, overlays and network) runs in that slot; another gets a new slot.
 * What the slot protocol cannot carry (a newline in an argument or a value, a
 * variable name the shell cannot export) runs in a sandbox of its own, as do
 * runs whose launch is not the work loop's (audits, paper runs, `rigor run`).
 */
import {spawnSync} from 'node:child_process'
import {constants} from 'node:os'
import {accessSync, constants as fsConstants, realpathSync, rmSync} from 'node:fs'
import {procInfo, programOnPath} from '../proc.js'
import type {LaunchedRunner, RunnerExit, RunnerLaunch} from './launcher.js'
import {removeTree} from './remove-tree.js'
import {gitPaths, type SandboxSpec} from './sandbox.js'
import {SandboxSlot, type SlotRunEnd} from './sandbox-slot.js'
import {sandboxFilter} from './seccomp.js'
import {
  emptyExcept,
  launcherCopy,
  launcherPath,
  layoutOf,
  linkOutputs,
  makeSlotDirs,
  moveOutputs,
  mountPointsUnder,
  slotDirs,
  slotName,
  sweepDeadSlots,
} from './slot-dirs.js'

/** What a launch says of itself for a kept sandbox; the launch's program and args are its own sandbox, the fallback. */
export interface SlotLaunch {
  spec: SandboxSpec
  /** where slots keep their directories: under the repository's git directory, beside the runs */
  slotsDir: string
  /** the run's own RIGOR_OUT on the host: what the runner wrote there is moved here after the run */
  outDir: string
  /** the runner's argv, program first */
  argv: string[]
}

/** at most this many idle slots are kept; the oldest leaves first */
const MAX_IDLE = 8
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, number]) => [number, name]))

/** Why a launch cannot run in a kept sandbox, or undefined when it can. */
export function slotRefusal(launch: RunnerLaunch): string | undefined {
  const slot = launch.slot
  if (!slot) return 'not a work loop run'
  if (launch.hold === 'spawn') return 'not sandboxed'
  const lines = [...slot.argv, ...Object.values(launch.env.set)]
  if (lines.some((line) => line.includes('\n') || line.includes('\0'))) return 'a newline in an argument or a value'
  if (!slot.argv[0]) return 'no program'
  if ([...Object.keys(launch.env.set), ...launch.env.unset].some((name) => !NAME.test(name)))
    return 'a variable name the shell cannot export'
  return undefined
}

/** The exit a shell's `wait` status stands for: above 128, the signal that ended the process. */
export function exitOfStatus(status: number): RunnerExit {
  const signal = status > 128 ? SIGNAL_NAMES.get(status - 128) : undefined
  return signal ? {code: null, signal} : {code: status, signal: null}
}

export class SandboxSlots {
  private readonly idle = new Map<string, SandboxSlot[]>()
  private readonly order: Array<{key: string; slot: SandboxSlot}> = []
  private readonly all = new Set<SandboxSlot>()
  /** each slot's mount points in its /tmp and /dev/shm as its sandbox made them (slotLayout) */
  private readonly layouts = new Map<SandboxSlot, string>()
  private made = 0
  private broken = false
  private swept = new Set<string>()

  private constructor(
    private readonly base: NodeJS.ProcessEnv,
    private readonly starter: string[],
    private readonly shell: string,
  ) {}

  /**
   * Slots for runners inheriting `base`, or undefined where there are none
   * (RIGOR_KEPT_SANDBOX=off, no /proc, no setsid or no env that resets signals:
   * coreutils before 8.31).
   */
  static create(base: NodeJS.ProcessEnv): SandboxSlots | undefined {
    if (base.RIGOR_KEPT_SANDBOX === 'off') return undefined
    const setsid = programOnPath('setsid', base.PATH ?? '/usr/bin:/bin')
    const env = programOnPath('env', base.PATH ?? '/usr/bin:/bin')
    let shell: string
    try {
      shell = realpathSync('/bin/sh')
      accessSync('/proc/self/task', fsConstants.R_OK)
    } catch {
      return undefined
    }
    if (!setsid || !env || spawnSync(env, ['--default-signal', 'true'], {stdio: 'ignore'}).status !== 0) return undefined
    return new SandboxSlots(base, [env, '--default-signal', setsid, '--'], shell)
  }

  /** The run in a kept sandbox, or undefined when it cannot be (slotRefusal): the caller starts it as before. */
  launch(launch: RunnerLaunch, fallback: (launch: RunnerLaunch) => LaunchedRunner): LaunchedRunner | undefined {
    if (this.broken || slotRefusal(launch) !== undefined) return undefined
    const request = launch.slot!
    const key = JSON.stringify([request.slotsDir, request.spec])
    const slot = this.take(key) ?? this.start(request)
    let startedResolve!: (pid: number | undefined) => void
    let decide!: (run: boolean) => void
    let pid: number | undefined
    let replaced: LaunchedRunner | undefined
    const started = new Promise<number | undefined>((resolve) => (startedResolve = resolve))
    const go = launch.hold
      ? new Promise<boolean>((resolve) => {
          let said = false
          decide = (run) => {
            if (said) return
            said = true
            resolve(run)
          }
        })
      : Promise.resolve(true)
    const exited = (async (): Promise<RunnerExit> => {
      const ready = await slot.ready
      if (ready && !this.layouts.has(slot)) this.layouts.set(slot, slotLayout(slot, request.spec))
      if (!(await go)) {
        startedResolve(undefined)
        if (ready) this.giveBack(key, slot)
        else void this.retire(slot)
        return {code: null, signal: null}
      }
      if (!ready) {
        // the slot's sandbox would not start (the launcher on a noexec file system, say): this run gets one of its
        // own, which says why in its run.log, and so does every later run of this process rather than try again
        this.broken = true
        void this.retire(slot)
        replaced = fallback({...launch, hold: undefined, slot: undefined})
        startedResolve(await replaced.started)
        return replaced.exited
      }
      const set = {...launch.env.set, RIGOR_OUT: slot.dirs.out}
      linkOutputs(slot.dirs.out, request.outDir)
      const end = await slot.run({set, unset: launch.env.unset, argv: request.argv}, (hostPid) => {
        pid = hostPid
        startedResolve(hostPid)
      })
      return this.finish(key, slot, request, end, pid !== undefined)
    })()
    return {
      started,
      exited,
      release: (run) => decide?.(run),
      startTime: () => (replaced ? replaced.startTime() : pid ? procInfo(pid)?.startTime : undefined),
      keptSandbox: () => !replaced,
    }
  }

  /** Ends every slot (the command is leaving) and removes their directories. */
  async close(): Promise<void> {
    await Promise.all([...this.all].map((slot) => this.retire(slot)))
    for (const dir of this.swept) rmSync(launcherPath(dir), {force: true})
  }

  private async finish(key: string, slot: SandboxSlot, request: SlotLaunch, end: SlotRunEnd, pidKnown: boolean): Promise<RunnerExit> {
    let problem: string | undefined
    let moved = false
    try {
      moveOutputs(slot.dirs.out, request.outDir)
      // a mount point's directory renamed or changed: the slot is retired, and emptied with it
      moved = slotLayout(slot, request.spec) !== this.layouts.get(slot)
      const targets = slotTargets(request.spec, slot.dirs.out)
      if (!moved) emptyExcept(slot.dirs.tmp, mountPointsUnder('/tmp', targets), leaves('/tmp', targets))
      if (!moved) emptyExcept(slot.dirs.shm, mountPointsUnder('/dev/shm', targets), leaves('/dev/shm', targets))
    } catch (err) {
      problem = (err as Error).message
    }
    // the run's exit is reported at once; a slot that cannot serve another run ends meanwhile
    if ('error' in end || end.dirty || moved || problem !== undefined || !slot.alive || !slot.unchanged()) void this.retire(slot)
    else this.giveBack(key, slot)
    if ('error' in end) return {code: null, signal: null, error: end.error, afterStart: pidKnown}
    if (problem !== undefined)
      return {code: null, signal: null, error: `the run's outputs could not be moved out of its sandbox: ${problem}`, afterStart: true}
    return exitOfStatus(end.status)
  }

  private start(request: SlotLaunch): SandboxSlot {
    if (!this.swept.has(request.slotsDir)) {
      this.swept.add(request.slotsDir)
      sweepDeadSlots(request.slotsDir)
    }
    const dirs = slotDirs(request.slotsDir, slotName(process.pid, this.made++))
    makeSlotDirs(dirs)
    const slot = new SandboxSlot({
      spec: request.spec,
      dirs,
      launcher: launcherCopy(request.slotsDir, this.shell),
      starter: this.starter,
      filter: sandboxFilter(process.arch, undefined, true),
      env: this.base,
    })
    this.all.add(slot)
    return slot
  }

  private take(key: string): SandboxSlot | undefined {
    const slots = this.idle.get(key)
    const slot = slots?.pop()
    if (!slot) return undefined
    const at = this.order.findIndex((entry) => entry.slot === slot)
    if (at >= 0) this.order.splice(at, 1)
    if (slot.alive) return slot
    // its sandbox ended while it waited (killed from outside): another one, or a new slot
    void this.retire(slot)
    return this.take(key)
  }

  private giveBack(key: string, slot: SandboxSlot): void {
    const slots = this.idle.get(key) ?? []
    slots.push(slot)
    this.idle.set(key, slots)
    this.order.push({key, slot})
    while (this.order.length > MAX_IDLE) {
      const oldest = this.order.shift()!
      const list = this.idle.get(oldest.key)
      list?.splice(list.indexOf(oldest.slot), 1)
      void this.retire(oldest.slot)
    }
  }

  private async retire(slot: SandboxSlot): Promise<void> {
    if (!this.all.delete(slot)) return
    this.layouts.delete(slot)
    await slot.retire()
    try {
      removeTree(slot.dirs.root)
    } catch {
      // left for sweepDeadSlots once this process is gone: a retiring slot must not end the runner helper
    }
  }
}

/** The mount points bwrap made in a slot's /tmp and /dev/shm, as they are now (layoutOf). */
function slotLayout(slot: SandboxSlot, spec: SandboxSpec): string {
  const targets = slotTargets(spec, slot.dirs.out)
  return `${layoutOf(slot.dirs.tmp, mountPointsUnder('/tmp', targets))}\n${layoutOf(slot.dirs.shm, mountPointsUnder('/dev/shm', targets))}`
}

/** The paths bwrap binds in a slot's sandbox, whose mount points may lie in its /tmp or /dev/shm. */
function slotTargets(spec: SandboxSpec, out: string): string[] {
  const hidden = gitPaths(spec.root)
  return [
    ...(spec.shownDirs ?? []),
    spec.root,
    ...spec.readable,
    out,
    ...spec.overlays.map((overlay) => overlay.target),
    ...hidden.dirs,
    ...hidden.files,
  ]
}

function leaves(inside: string, targets: readonly string[]): Set<string> {
  const found = new Set<string>()
  for (const target of targets) {
    const under = mountPointsUnder(inside, [target])
    let longest = ''
    for (const path of under) if (path.length > longest.length) longest = path
    if (longest) found.add(longest)
  }
  return found
}
