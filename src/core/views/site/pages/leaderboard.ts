import {RankObjective} from '../../../schemas/index.js'
import {objectiveMetric, paretoFront} from '../../rank.js'
import {html} from '../html.js'
import {num, pct, renderPage, type PageContext} from '../layout.js'
import type {SiteData} from '../model.js'
import {nodePagePath, SITE_PAGES} from '../paths.js'

export interface LeaderRow {
  id: string
  team: string
  metrics: Record<string, number>
  value: number
  archived: boolean
  /** the newest audit's verdict */
  audit: 'PASS' | 'FAIL' | null
}

/** rows shown per objective; the rest are counted */
const SHOWN = 50

/**
 * Every accepted node (archived ones too, marked) ordered by an objective's
 * metric as `rigor rank` orders them; Pareto: the nodes no other beats on both
 * Sharpe and drawdown, by Sharpe.
 */
export function leaderboard(data: SiteData, objective: RankObjective): LeaderRow[] {
  const {metric, higherIsBetter} = objectiveMetric(objective)
  const rows: LeaderRow[] = []
  for (const [id, site] of data.nodes) {
    if (site.node.sweep || site.node.status !== 'proven_accepted' || !site.verdict) continue
    const metrics = site.verdict.metrics
    if (objective !== 'pareto' && typeof metrics[metric] !== 'number') continue
    rows.push({
      id,
      team: site.node.team,
      metrics,
      value: metrics[metric] ?? Number.NaN,
      archived: Boolean(site.node.archived),
      audit: site.audits[0]?.front.verdict ?? null,
    })
  }
  const ranked = objective === 'pareto' ? paretoFront(rows) : rows
  return ranked.sort((a, b) => (higherIsBetter ? b.value - a.value : a.value - b.value) || (a.id < b.id ? -1 : 1))
}

export function leaderboardPage(ctx: PageContext): {path: string; text: string} {
  const {data} = ctx
  const latest = data.rankings[0]
  const sections = RankObjective.options.map((objective) => {
    const rows = leaderboard(data, objective)
    const {metric} = objectiveMetric(objective)
    const shown = rows.slice(0, SHOWN)
    return html`<section class="panel" data-objective="${objective}"><h2>${objective === 'pareto' ? 'Pareto front (Sharpe against drawdown)' : `By ${metric}`} <span class="muted">&middot; ${rows.length} node${rows.length === 1 ? '' : 's'}</span></h2>
${
  rows.length
    ? html`<table><thead><tr><th>#</th><th>node</th><th>team</th><th class="num">${metric}</th><th class="num">sharpe</th><th class="num">max drawdown</th><th class="num">total return</th><th>archive</th><th>audit</th></tr></thead><tbody>
${shown.map(
  (row, i) =>
    html`<tr data-node="${row.id}"><td>${i + 1}</td><td><a href="${nodePagePath(row.id)}">${row.id}</a></td><td>${row.team}</td><td class="num">${num(row.value)}</td><td class="num">${num(row.metrics.sharpe, 2)}</td><td class="num">${pct(row.metrics.max_drawdown)}</td><td class="num">${pct(row.metrics.total_return)}</td><td>${row.archived ? html`<span class="archived">archived</span>` : 'kept'}</td><td>${row.audit ? html`<span class="badge v-${row.audit}">${row.audit}</span>` : html`<span class="muted">&ndash;</span>`}</td></tr>`,
)}
</tbody></table>${rows.length > SHOWN ? html`<p class="muted">and ${rows.length - SHOWN} more.</p>` : ''}`
    : html`<p class="muted">No accepted node reports ${metric}.</p>`
}</section>`
  })
  const history = data.rankings.length
    ? html`<table><thead><tr><th>ranked at</th><th>objective</th><th>metric</th><th>team</th><th class="num">kept</th><th class="num">archived</th><th>by</th><th>file</th></tr></thead><tbody>
${data.rankings.map((r) => html`<tr><td>${r.ranked_at}</td><td>${r.objective}</td><td>${r.metric}</td><td>${r.team ?? 'all'}</td><td class="num">${r.kept.length}</td><td class="num">${r.archived.length}</td><td>${r.by}</td><td class="mono">${r.file}</td></tr>`)}
</tbody></table>`
    : html`<p class="muted">Nothing was ranked yet: <span class="mono">rigor rank --objective sharpe --keep 5</span> keeps the best and archives the rest.</p>`
  const body = html`<h1>Leaderboard</h1>
<p class="muted">Accepted nodes by each objective of <span class="mono">rigor rank</span>. Archive state is what the latest ranking left on the node files${latest ? html` (latest: ${latest.objective} by ${latest.metric}, ${latest.ranked_at}, kept ${latest.kept.length}, archived ${latest.archived.length})` : ''}.</p>
${sections}
<section class="panel"><h2>Ranking history</h2>${history}${data.unusableRankings.length ? html`<p class="warn">${data.unusableRankings.length} ranking record(s) cannot be used and are left out: ${data.unusableRankings.map((u) => u.file).join(', ')}; <span class="mono">rigor verify</span> says how to restore them.</p>` : ''}</section>`
  return {
    path: SITE_PAGES.leaderboard,
    text: renderPage(ctx, {path: SITE_PAGES.leaderboard, title: 'Leaderboard', section: 'leaderboard', body}),
  }
}
