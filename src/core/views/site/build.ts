import {realpathSync} from 'node:fs'
import {basename, dirname, join, resolve, sep} from 'node:path'
import {InputError} from '../../errors.js'
import {readBlobs} from '../../state/tree-files.js'
import type {Workspace} from '../../state/workspace.js'
import {SITE_CSS, SITE_JS} from './assets.js'
import {DrawingCache} from './drawing-cache.js'
import {ChartPool} from './chart-pool.js'
import type {PageContext} from './layout.js'
import {readSiteData, type SiteDataOptions} from './model.js'
import {writeSiteFiles, type SiteFile, type WriteStats} from './output.js'
import {auditsPage} from './pages/audits.js'
import {budgetPage} from './pages/budget.js'
import {dagPages} from './pages/dag.js'
import {leaderboardPage} from './pages/leaderboard.js'
import {logPages} from './pages/log.js'
import {nodePage} from './pages/node.js'
import {overviewPage} from './pages/overview.js'
import {chartPath, SCRIPT_FILE, SITE_PAGES, STYLE_FILE, VERSION_FILE} from './paths.js'

export interface SiteBuildOptions extends SiteDataOptions {
  /** the folder the site is written to */
  out: string
  /** drawings of the DAG kept between builds (default: .git/rigor/cache/site-drawings.json) */
  drawings?: DrawingCache
  /** pages reload themselves when `rigor site --serve` announces a new build */
  live?: boolean
}

export interface SiteBuildResult extends WriteStats {
  out: string
  /** the overview page: open it in a browser */
  index: string
  commit: string | null
  nodes: number
  pages: number
  charts: number
  seconds: number
}

/** bumped when the chart drawing changes, so charts of an earlier build are drawn again */
const CHART_VERSION = 1

/**
 * Builds the static site of the workspace's state at its branch tip into
 * `opts.out`: the overview, the DAG pages, the leaderboard, the audits, the
 * budget, the activity log, a page per node and the charts, with one
 * stylesheet and one script. Only what changed since the last build is written.
 */
export async function buildSite(ws: Workspace, opts: SiteBuildOptions): Promise<SiteBuildResult> {
  const started = process.hrtime.bigint()
  const out = resolve(opts.out)
  // git's own files: a site written there could overwrite what git keeps (objects, refs, hooks)
  if ([ws.repo.paths.commonDir, ws.repo.paths.gitDir].some((dir) => isWithin(out, dir)))
    throw new InputError(`${out} is inside the repository's git directory`, {
      field: '--out',
      fix: 'write the site outside .git: leave --out out for site/ in the workspace, or name another folder',
    })
  const data = await readSiteData(ws, opts)
  const ctx: PageContext = {data, live: Boolean(opts.live)}
  const drawings = opts.drawings ?? (await DrawingCache.open(join(ws.repo.paths.commonDir, 'rigor', 'cache', 'site-drawings.json')))
  const pages = [
    overviewPage(ctx),
    ...dagPages(ctx, drawings),
    leaderboardPage(ctx),
    auditsPage(ctx),
    budgetPage(ctx),
    ...logPages(ctx),
    ...[...data.nodes].map(([id, site]) => nodePage(ctx, id, site)),
  ]
  const charts = new Map<string, SiteFile>()
  const pool = new ChartPool()
  const returnsChart = async (oid: string) => pool.draw((await readBlobs(ws.repo, [oid]))[0]!.toString('utf8'))
  for (const site of data.nodes.values()) {
    if (site.returnsOid && !charts.has(site.returnsOid))
      charts.set(site.returnsOid, {
        path: chartPath(site.returnsOid),
        content: {key: `returns-chart-v${CHART_VERSION}:${site.returnsOid}`, render: () => returnsChart(site.returnsOid!)},
      })
    for (const audit of site.audits) {
      const oid = audit.chartOid
      if (oid && !charts.has(oid))
        charts.set(oid, {path: chartPath(oid), content: {key: `blob:${oid}`, render: async () => (await readBlobs(ws.repo, [oid]))[0]!}})
    }
  }
  const files: SiteFile[] = [
    {path: STYLE_FILE, content: SITE_CSS},
    {path: SCRIPT_FILE, content: SITE_JS},
    // GitHub Pages serves the folder as it is (no Jekyll)
    {path: '.nojekyll', content: ''},
    ...pages.map((p) => ({path: p.path, content: p.text})),
    ...charts.values(),
    {path: VERSION_FILE, content: `${JSON.stringify({commit: data.commit, generated_at: data.generatedAt})}\n`},
  ]
  const stats = await writeSiteFiles(out, files).finally(() => pool.close())
  await drawings.save()
  return {
    out,
    index: join(out, SITE_PAGES.overview),
    commit: data.commit,
    nodes: data.nodes.size,
    pages: pages.length,
    charts: charts.size,
    ...stats,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  }
}

/** Whether `path` is `dir` or lies below it, by real paths where they exist (a link into .git counts). */
function isWithin(path: string, dir: string): boolean {
  const real = (p: string): string => {
    try {
      return realpathSync.native(p)
    } catch {
      // not made yet: its nearest existing parent's real path, with the rest as written
      const parent = dirname(p)
      return parent === p ? p : join(real(parent), basename(p))
    }
  }
  const [a, b] = [real(path), real(dir)]
  return a === b || a.startsWith(`${b}${sep}`)
}
