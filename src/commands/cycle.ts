import {WorkspaceCommand} from '../cli/base.js'
import {numberFlag} from '../cli/flags.js'
import {listrProgress, plainProgress, type Progress} from '../cli/progress.js'
import {withAbort} from '../cli/signals.js'
import {withWorkspace} from '../cli/workspace.js'
import {runCycle, type CycleResult} from '../core/flows/cycle.js'
import type {Telemetry} from '../core/telemetry/telemetry.js'

export default class Cycle extends WorkspaceCommand {
  static override summary = 'One whole research cycle: design, work until nothing is claimable, rank, report. Resumable after a crash.'
  static override description =
    'Run it again after a crash: it continues with the first unfinished step and never runs a finished node again.'
  static override examples = ['<%= config.bin %> cycle --parallel 4', '<%= config.bin %> cycle --json']
  static override flags = {
    parallel: numberFlag({integer: true, min: 1, max: 256})({char: 'p', description: 'slots running at once', default: 2}),
    'design-count': numberFlag({integer: true, min: 1})({description: 'nodes the design step asks for', default: 5}),
    keep: numberFlag({integer: true, min: 1})({description: 'nodes the ranking keeps', default: 5}),
  }

  async run(): Promise<CycleResult> {
    return this.traced({}, (telemetry) => this.cycle(telemetry), {stopsCleanly: true})
  }

  private async cycle(telemetry: Telemetry): Promise<CycleResult> {
    const {flags} = await this.parse(Cycle)
    telemetry.set({'rigor.parallel': flags.parallel})
    const live = process.stdout.isTTY && !this.jsonEnabled()
    let progress: Progress | undefined
    return withAbort(async ({signal, groups}) => {
      const result = await withWorkspace(flags, (ws) =>
        runCycle(ws, {
          parallel: flags.parallel,
          designCount: flags['design-count'],
          keep: flags.keep,
          signal,
          groups,
          telemetry,
          onStep: (step, state, detail) => {
            if (step === 'work' && state === 'start')
              progress = live ? listrProgress(flags.parallel, (text) => this.log(text)) : plainProgress((line) => this.say(`  ${line}`))
            this.say(`${step}: ${state}${detail ? ` (${detail})` : ''}`)
          },
          onWork: (event) => progress?.onEvent(event),
        }),
      )
      await progress?.done()
      if (result.released.length) this.say(`put back ${result.released.length} node(s) a crashed cycle held`)
      if (result.report) this.say(`report: ${result.report.files.join(', ')} (health ${result.report.health_score}/100)`)
      return result
    })
  }
}
