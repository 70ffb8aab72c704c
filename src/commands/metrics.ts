import {Flags} from '@oclif/core'
import {WorkspaceCommand} from '../cli/base.js'
import {numberFlag} from '../cli/flags.js'
import {withAbort} from '../cli/signals.js'
import {withWorkspace} from '../cli/workspace.js'
import {asRigorError, InputError} from '../core/errors.js'
import {serveMetrics, type ServeSummary, WorkspaceScraper} from '../core/flows/metrics-server.js'
import {Workspace} from '../core/state/workspace.js'
import {listenHostProblem} from '../core/validation.js'
import {type MetricType, renderExposition, type Sample, samplesOf} from '../core/views/exposition.js'
import {MetricsCollector} from '../core/views/metrics.js'

export interface MetricsSnapshot {
  commit: string | null
  families: Array<{name: string; type: MetricType; help: string; samples: Sample[]}>
}

export default class Metrics extends WorkspaceCommand {
  static override summary = 'The state as Prometheus metrics (text exposition) on stdout, or served on /metrics with --serve.'
  static override description =
    `Nodes by team and status, run durations, gate results, audits, the audit backlog, the budget, agent calls (tokens, cost, latency), lease expiries, claim conflicts: every metric and its labels are listed in docs/observability.md. Everything is read from the branch tip.
Without --serve, for node_exporter's textfile collector or a Pushgateway: rigor metrics > /var/lib/node_exporter/rigor.prom
With --serve PORT it serves GET /metrics on 127.0.0.1 (--host to change) until Ctrl-C or SIGTERM, reading the tip again on every scrape (what a commit says is kept, so an unchanged tip costs little). --serve 0 picks a free port; the address is printed.`
  static override examples = [
    '<%= config.bin %> metrics',
    '<%= config.bin %> metrics --json',
    '<%= config.bin %> metrics --serve 9464',
    '<%= config.bin %> metrics --serve 9464 --host 0.0.0.0',
  ]
  static override flags = {
    serve: numberFlag({integer: true, min: 0, max: 65_535})({description: 'serve GET /metrics on this port (0: any free port)'}),
    host: Flags.string({description: 'the address --serve listens on (default: 127.0.0.1, this machine only)', dependsOn: ['serve']}),
  }

  async run(): Promise<MetricsSnapshot | ServeSummary> {
    const {flags} = await this.parse(Metrics)
    if (flags.serve === undefined) {
      const {commit, families} = await withWorkspace(flags, (ws) => new MetricsCollector().collect(ws))
      if (!this.jsonEnabled()) process.stdout.write(renderExposition(families))
      return {commit, families: families.map((f) => ({name: f.def.name, type: f.def.type, help: f.def.help, samples: samplesOf(f)}))}
    }
    const host = flags.host ?? '127.0.0.1'
    const problem = listenHostProblem(host)
    if (problem) throw new InputError(problem, {field: '--host', fix: 'pass an address such as 127.0.0.1, ::1 or 0.0.0.0'})
    const port = flags.serve
    return withAbort(({signal}) =>
      withWorkspace(flags, async (ws) => {
        const scraper = new WorkspaceScraper(ws, () => Workspace.open(flags.cwd ?? process.cwd(), {remote: flags.remote}))
        try {
          return await serveMetrics({
            host,
            port,
            signal,
            scrape: () => scraper.scrape(),
            // on stderr under --json: the address of --serve 0 is needed before the JSON summary at the end
            onListening: (url) =>
              this.jsonEnabled() ? process.stderr.write(`serving ${url}\n`) : this.log(`serving ${url} (Ctrl-C to stop)`),
            onError: (err) => this.warn(`a scrape failed: ${asRigorError(err).report}`),
          })
        } finally {
          await scraper.closeReopened()
        }
      }),
    )
  }
}
