import {join} from 'node:path'
import {Args} from '@oclif/core'
import {RigorCommand} from '../cli/base.js'
import {numberFlag} from '../cli/flags.js'
import {dirFrom, howToRun, type Invocation} from '../cli/invocation.js'
import {plainProgress, type Progress} from '../cli/progress.js'
import {withAbort} from '../cli/signals.js'
import {renderTable} from '../cli/table.js'
import {runDemo, type DemoResult} from '../core/flows/demo.js'

export default class Demo extends RigorCommand {
  static override summary = 'Run the whole research cycle on bundled data in a fresh workspace (offline, no API key).'
  static override examples = ['<%= config.bin %> demo', '<%= config.bin %> demo /tmp/my-demo --parallel 4']
  static override args = {dir: Args.string({description: 'a new or empty directory', default: './rigor-demo'})}
  static override flags = {
    parallel: numberFlag({integer: true, min: 1, max: 64})({char: 'p', description: 'slots running at once', default: 4}),
  }

  async run(): Promise<DemoResult> {
    const {args, flags} = await this.parse(Demo)
    const live = process.stdout.isTTY && !this.jsonEnabled()
    // on a terminal the live display lasts from the seed step to the end of the work step: the steps before and
    // after it print in their order, not held back by it until the demo ends
    let display: Progress | undefined
    const plain = live ? undefined : plainProgress((line) => this.say(`  ${line}`))
    let ended: Promise<void> | undefined
    const endDisplay = () => (ended ??= (display ?? plain)?.done() ?? Promise.resolve())
    const result = await withAbort(
      ({signal, groups, launcher}) =>
        runDemo(args.dir, {
          parallel: flags.parallel,
          signal,
          groups,
          launcher,
          onStep: async (s) => {
            if (s.step === 'work') await endDisplay()
            this.say(`${s.step}: ${s.detail}`)
            if (s.step === 'seed' && live)
              display = (await import('../cli/live-progress.js')).listrProgress(flags.parallel, (text) => this.log(text))
          },
          onWork: (e) => (display ?? plain)?.onEvent(e),
          warn: (m) => this.warn(m),
        }),
      {runnerHelper: true},
    )
    await endDisplay()
    // a stopped demo ranked nothing: no empty table
    if (result.best.length > 0) {
      this.say('')
      this.say(`Best accepted nodes (out-of-sample, after costs):`)
      this.say(
        renderTable(
          ['node', 'team', 'sharpe', 'max drawdown', 'total return'],
          result.best.map((b) => [
            b.id,
            b.team,
            b.sharpe.toFixed(2),
            `${(b.max_drawdown * 100).toFixed(1)}%`,
            `${(b.total_return * 100).toFixed(1)}%`,
          ]),
        ),
      )
    }
    this.say(`\n${result.status.total} nodes in ${result.dir} (${result.seconds.toFixed(1)} s).`)
    if (result.site) this.say(`The dashboard: ${result.site} (open it in a browser).`)
    for (const line of tryNext(result, howToRun({bin: join(this.config.root, 'bin', 'run.js'), name: this.config.bin}), process.cwd()))
      this.say(line)
    return result
  }
}

/** What to try next, each line runnable from where the user is: rigor as it can be run there, --cwd for the demo's workspace. */
export function tryNext(
  result: Pick<DemoResult, 'dir' | 'best' | 'report'> & {status: Pick<DemoResult['status'], 'by_status'>},
  rigor: Invocation,
  cwd: string,
): string[] {
  const dir = dirFrom(cwd, result.dir)
  const run = (args: string) => `  ${rigor.prefix} ${args} --cwd ${dir}`
  const header = rigor.onPath
    ? 'Try next:'
    : `Try next (${rigor.other ? `the rigor on your PATH, ${rigor.other}, is another one` : 'rigor is not on your PATH'}; \`npm link\` in this rigor's folder puts it there):`
  return [
    header,
    run('status'),
    run(`show ${result.best[0]?.id ?? 'trend/momentum/lookback-120'}`),
    `${run('graph --markdown')} > dag.md`,
    // a stopped demo wrote no report (`less reports/` would open a folder), and may have left nodes pending
    ...(result.report[0]
      ? [`  less ${dirFrom(cwd, join(result.dir, result.report[0]))}`]
      : [...(result.status.by_status.pending > 0 ? [`${run('work')}    # the nodes the stopped demo left pending`] : []), run('report')]),
    run('rank --history'),
    run('log -n 10'),
    run('verify'),
    `${run('site --serve 8080')}    # the dashboard, live at http://127.0.0.1:8080/`,
  ]
}
