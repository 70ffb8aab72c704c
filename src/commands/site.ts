import {join, resolve} from 'node:path'
import {Flags} from '@oclif/core'
import {WorkspaceCommand} from '../cli/base.js'
import {numberFlag} from '../cli/flags.js'
import {withAbort} from '../cli/signals.js'
import {commandLineBase, withWorkspace} from '../cli/workspace.js'
import {asRigorError} from '../core/errors.js'
import {policies} from '../core/flows/policies.js'
import {buildSite, type SiteBuildResult} from '../core/views/site/build.js'
import {keepSiteLive} from '../core/views/site/live.js'
import type {Workspace} from '../core/state/workspace.js'

export type SiteResult = SiteBuildResult & {builds: number; url: string | null}

export default class Site extends WorkspaceCommand {
  static override summary =
    'Write a static HTML dashboard of the workspace (status, DAG, leaderboard, node pages, audits, budget, activity); --watch rebuilds it when the state branch moves, --serve serves it on 127.0.0.1 with live reload.'
  static override examples = [
    '<%= config.bin %> site',
    '<%= config.bin %> site --out _site',
    '<%= config.bin %> site --serve 8080',
    '<%= config.bin %> site --watch --remote origin --interval 60',
  ]
  static override flags = {
    out: Flags.string({description: 'the folder to write (default: site/ in the workspace); a new or empty one, or an earlier site'}),
    watch: Flags.boolean({description: 'rebuild whenever the state branch moves, until Ctrl-C'}),
    serve: numberFlag({integer: true, min: 0, max: 65535})({
      description: 'also serve the site on 127.0.0.1 at this port (0: any free port), with live reload; implies --watch',
    }),
    interval: numberFlag({min: 0.2, max: 86_400})({
      description: 'seconds between polls of the branch while watching (with --remote: between fetches)',
      default: 2,
    }),
  }

  async run(): Promise<SiteResult> {
    const {flags} = await this.parse(Site)
    const live = flags.serve !== undefined
    const open = <T>(fn: (ws: Workspace) => Promise<T>) => withWorkspace(flags, fn)
    const outOf = (ws: Workspace) => (flags.out ? resolve(commandLineBase(flags), flags.out) : join(ws.root, 'site'))
    const build = (ws: Workspace) => buildSite(ws, {out: outOf(ws), auditStats: policies.auditStats, live})
    const report = (r: SiteBuildResult) =>
      this.say(
        `site: ${r.index} (${r.nodes} nodes at ${r.commit?.slice(0, 12) ?? 'no commit'}; ${r.written} file(s) written, ${r.unchanged} unchanged, ${r.removed} removed, ${r.seconds.toFixed(1)} s)`,
      )
    if (!flags.watch && !live) {
      const result = await open(build)
      report(result)
      return {...result, builds: 1, url: null}
    }
    const out = await open(async (ws) => outOf(ws))
    const result = await withAbort(({signal}) =>
      keepSiteLive({
        open,
        build,
        out,
        serve: flags.serve,
        intervalMs: flags.interval * 1000,
        signal,
        onServing: (url) => this.say(`serving ${url} (live reload; Ctrl-C stops)`),
        onBuild: report,
        onError: (err) => this.warn(`the site was not rebuilt: ${asRigorError(err).report}`),
      }),
    )
    return {...result.last, builds: result.builds, url: result.url}
  }
}
