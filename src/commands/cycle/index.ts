import {Flags} from '@oclif/core'
import {describeRemovedCopies} from '../../core/state/kept-copies.js'
import {WorkspaceCommand} from '../../cli/base.js'
import {cycleSummary} from '../../cli/cycle-summary.js'
import {numberFlag} from '../../cli/flags.js'
import {plainProgress, type Progress} from '../../cli/progress.js'
import {withAbort} from '../../cli/signals.js'
import {withWorkspace} from '../../cli/workspace.js'
import {cycleExitCode, cycleWorker, runCycle, type CycleResult} from '../../core/flows/cycle.js'
import {cancelRequested} from '../../core/flows/cycle-records.js'
import {HeldClaims, leftClaimedText} from '../../core/dag/claims.js'
import {resolveSigner} from '../../core/state/signing-key.js'
import {MAX_DESIGN_COUNT} from '../../core/agent/design.js'
import {CYCLE_STEPS} from '../../core/schemas/index.js'
import type {Telemetry} from '../../core/telemetry/telemetry.js'
import {InputError} from '../../core/errors.js'
import {controlsEscaped, lowerNameProblem, MAX_WORKER_SLOTS} from '../../core/validation.js'

export default class Cycle extends WorkspaceCommand {
  static override summary =
    "One whole research cycle: the steps rigor.yaml's cycle: lists (design, work, assess, audit, rank, report). Resumable after a crash."
  static override description =
    'A failed step is recorded and the cycle goes on with the steps that do not need it, then exits 1 with a summary of every step (3 when a step stopped on the budget). Run it again after a crash: it continues with the first unfinished step and never runs a finished node again. See docs/cycle.md.'
  static override examples = [
    '<%= config.bin %> cycle --parallel 4',
    '<%= config.bin %> cycle --skip design --json',
    '<%= config.bin %> cycle list',
    '<%= config.bin %> cycle cancel',
  ]
  static override flags = {
    parallel: numberFlag({integer: true, min: 1, max: MAX_WORKER_SLOTS})({char: 'p', description: 'slots running at once', default: 2}),
    'design-count': numberFlag({integer: true, min: 1, max: MAX_DESIGN_COUNT})({description: 'nodes the design step asks for', default: 5}),
    keep: numberFlag({integer: true, min: 1})({description: 'nodes the ranking keeps (and the audit looks at)', default: 5}),
    skip: Flags.option({options: CYCLE_STEPS, multiple: true})({description: 'skip this step this time (repeatable)'}),
    auditor: Flags.string({
      description:
        'who the audit step audits as (default: $RIGOR_AUDITOR, else auditor-<host>): never who ran, seeded or designed the node; with auditors: in rigor.yaml, one of them',
      env: 'RIGOR_AUDITOR',
    }),
    'signing-key': Flags.string({
      description:
        "SSH private key that signs the audit step's commits (default: $RIGOR_SIGNING_KEY, or git's user.signingkey with gpg.format=ssh); required when auditors: is set",
    }),
  }

  async run(): Promise<CycleResult> {
    return this.traced({}, (telemetry) => this.cycle(telemetry), {stopsCleanly: true})
  }

  private async cycle(telemetry: Telemetry): Promise<CycleResult> {
    const {flags} = await this.parse(Cycle)
    const auditorProblem = flags.auditor === undefined ? undefined : lowerNameProblem('auditor', flags.auditor)
    if (auditorProblem) throw new InputError(auditorProblem, {field: '--auditor', fix: 'e.g. --auditor risk-team'})
    telemetry.set({'rigor.parallel': flags.parallel})
    const live = process.stdout.isTTY && !this.jsonEnabled()
    // listr2 loads only on a terminal
    const liveProgress = live ? (await import('../../cli/live-progress.js')).listrProgress : undefined
    let progress: Progress | undefined
    // what a second signal leaves claimed, said as it leaves: known once the workspace is open
    const held = new HeldClaims()
    let leftBehind: (() => string) | undefined
    let cancelling: (() => boolean) | undefined
    return withAbort(
      async ({signal, groups, launcher}) => {
        const result = await withWorkspace(
          flags,
          async (ws) => {
            leftBehind = () => leftClaimedText(cycleWorker(ws.repo.paths.gitDir), held.ids, ws.config.lease.duration, held.maybeIds)
            cancelling = () => cancelRequested(ws.repo.paths.gitDir)
            return runCycle(ws, {
              auditor: flags.auditor,
              // a key named but missing is bad input before anything runs
              signer: await resolveSigner(ws.repo, flags['signing-key'], process.cwd()),
              parallel: flags.parallel,
              designCount: flags['design-count'],
              keep: flags.keep,
              skip: flags.skip,
              signal,
              groups,
              launcher,
              telemetry,
              onStep: async (event) => {
                const {name, status} = event.step
                // the live display holds back every line written while it draws: it ends with the work step's attempt
                if (name === 'work' && (event.kind === 'finish' || event.kind === 'retry')) {
                  await progress?.done()
                  progress = undefined
                }
                if (event.kind === 'kept') this.say(`${name}: ${status} before the restart`)
                else if (event.kind === 'start') {
                  if (name === 'work')
                    progress = liveProgress
                      ? liveProgress(flags.parallel, (text) => this.log(text))
                      : plainProgress((line) => this.say(`  ${line}`))
                  this.say(`${name}: start${event.step.attempts > 1 ? ` (attempt ${event.step.attempts})` : ''}`)
                } else if (event.kind === 'retry')
                  this.say(
                    `${name}: attempt ${event.step.attempts} failed (${controlsEscaped(event.step.error ?? '')}); again in ${Math.round(event.delayMs / 1000)}s`,
                  )
                else this.say(`${name}: ${status}${event.step.reason ? ` (${controlsEscaped(event.step.reason)})` : ''}`)
              },
              onWork: (event) => progress?.onEvent(event),
              held,
            })
          },
          {configDraft: true},
        )
        await progress?.done()
        if (result.released.length) this.say(`put back ${result.released.length} node(s) a crashed or cancelled cycle held`)
        const copies = describeRemovedCopies(result.removed_copies)
        if (copies) this.say(copies)
        const code = cycleExitCode(result.outcome)
        if (code !== 0) process.exitCode = code
        this.say(cycleSummary(result, code))
        return result
      },
      {
        runnerHelper: true,
        onStop: () => {
          const line = cancelling?.()
            ? 'stopping: cancelled by rigor cycle cancel; running nodes are stopped and put back (Ctrl-C again to leave at once)...'
            : 'stopping: running nodes are stopped and put back, the cycle resumes with the next rigor cycle (Ctrl-C again to leave at once)...'
          if (progress) progress.notice(line)
          else this.say(line)
        },
        onLeave: () => leftBehind?.(),
      },
    )
  }
}
