import {NODE_STATUSES} from '../../../schemas/index.js'
import {STATUS_COLOURS} from '../../graph.js'
import {HEALTH_FORMULA} from '../../report.js'
import {stackedBars} from '../charts.js'
import {html, type Html} from '../html.js'
import {num, pct, renderPage, usd, type PageContext} from '../layout.js'
import {nodePagePath, SITE_PAGES} from '../paths.js'
import {logRows} from './log.js'
import {leaderboard} from './leaderboard.js'

const VERDICT_SERIES = [
  {key: 'accepted', label: 'accepted', colour: STATUS_COLOURS.proven_accepted!.stroke},
  {key: 'rejected', label: 'rejected', colour: STATUS_COLOURS.proven_rejected!.stroke},
  {key: 'inconclusive', label: 'inconclusive', colour: STATUS_COLOURS.inconclusive!.stroke},
]

/** index.html: the counts `rigor status` gives, by team and over time, health, and the heads of the other pages. */
export function overviewPage(ctx: PageContext): {path: string; text: string} {
  const {data} = ctx
  const s = data.status
  const teams = Object.keys(s.by_team).sort()
  const budget = data.budget
  const cards = html`<div class="cards">
${card('nodes', s.total, 'total')}
${NODE_STATUSES.map((status) => card(status.replace(/^proven_/, ''), s.by_status[status], status))}
${card('sweep groups', s.sweeps, 'sweeps')}
${card('archived', s.archived, 'archived')}
</div>
<div class="cards">
${card('health score', `${data.healthScore}/100`, 'health')}
${card('audit backlog', data.health.audit_backlog, 'audit-backlog')}
${card('failed-audit rate', pct(data.health.failed_audit_rate, 0), 'failed-audit-rate')}
${card('stuck leases', data.health.stuck.length, 'stuck')}
${card(`spent ${budget.day}`, `${usd(budget.spent_usd)}${budget.daily_usd === null ? '' : ` of ${usd(budget.daily_usd)}`}`, 'spent')}
</div>
<p class="muted">Health = ${HEALTH_FORMULA}.</p>`
  const problems = s.problems.length
    ? html`<h2 class="warn">State files that cannot be used (${s.problems.length})</h2>
<div class="panel"><table id="problems"><thead><tr><th>file</th><th>kind</th><th>problem</th></tr></thead><tbody>
${s.problems.map((p) => html`<tr><td class="mono">${p.file}</td><td>${p.kind}</td><td>${p.message}</td></tr>`)}
</tbody></table><p class="muted">They are never claimed; <span class="mono">rigor verify</span> says how to repair them.</p></div>`
    : ''
  const teamTable = html`<table id="by-team"><thead><tr><th>team</th>${NODE_STATUSES.map((st) => html`<th class="num">${st.replace(/^proven_/, '')}</th>`)}<th class="num">all</th></tr></thead><tbody>
${teams.map((team) => {
  const counts = s.by_team[team]!
  const all = NODE_STATUSES.reduce((sum, st) => sum + (counts[st] ?? 0), 0)
  return html`<tr data-team="${team}"><td>${team}</td>${NODE_STATUSES.map((st) => html`<td class="num" data-status="${st}">${counts[st] ?? 0}</td>`)}<td class="num">${all}</td></tr>`
})}
</tbody></table>`
  // rigor.yaml's teams have rows before they have nodes: a chart of nothing but empty bars says less than this
  const teamChart = s.total
    ? stackedBars({
        title: 'nodes by team and status',
        horizontal: true,
        categories: teams,
        series: NODE_STATUSES.map((st) => ({key: st, label: st.replace(/^proven_/, ''), colour: STATUS_COLOURS[st]!.stroke})),
        value: (team, st) => s.by_team[team]?.[st as keyof (typeof s.by_team)[string]] ?? 0,
      })
    : html`<p class="muted">No nodes yet.</p>`
  const byDay = new Map(data.days.map((d) => [d.date, d]))
  const overTime = stackedBars({
    title: 'verdicts per day',
    categories: data.days.map((d) => d.date),
    series: VERDICT_SERIES,
    value: (day, key) => byDay.get(day)?.[key as 'accepted' | 'rejected' | 'inconclusive'] ?? 0,
    categoryLabel: (day) => day.slice(5),
  })
  const lastWeek = data.days.slice(-7).reverse()
  const best = leaderboard(data, 'sharpe').slice(0, 5)
  const body = html`<h1>Overview</h1>
<p class="muted">The state at commit <span class="mono" id="commit">${data.commit ?? 'none yet'}</span>, built ${data.generatedAt.replace('T', ' ').slice(0, 19)} UTC.</p>
${cards}
${problems}
<div class="grid2">
<section class="panel"><h2>Status by team</h2>${teamTable}${teamChart}</section>
<section class="panel"><h2>Verdicts over time</h2>${overTime}
<table id="days"><thead><tr><th>day</th><th class="num">seeded</th><th class="num">run</th><th class="num">accepted</th><th class="num">rejected</th><th class="num">inconclusive</th><th class="num">audited</th><th class="num">deployed</th></tr></thead><tbody>
${lastWeek.map((d) => html`<tr><td>${d.date}</td><td class="num">${d.seeded}</td><td class="num">${d.run}</td><td class="num">${d.accepted}</td><td class="num">${d.rejected}</td><td class="num">${d.inconclusive}</td><td class="num">${d.audited}</td><td class="num">${d.deployed}</td></tr>`)}
</tbody></table></section>
</div>
<div class="grid2">
<section class="panel"><h2>Best by Sharpe</h2>${
    best.length
      ? html`<table><thead><tr><th>#</th><th>node</th><th>team</th><th class="num">sharpe</th><th class="num">max drawdown</th><th>audit</th></tr></thead><tbody>
${best.map((row, i) => html`<tr><td>${i + 1}</td><td><a href="${nodePagePath(row.id)}">${row.id}</a>${row.archived ? html` <span class="archived">archived</span>` : ''}</td><td>${row.team}</td><td class="num">${num(row.metrics.sharpe, 2)}</td><td class="num">${pct(row.metrics.max_drawdown)}</td><td>${row.audit ? html`<span class="badge v-${row.audit}">${row.audit}</span>` : html`<span class="muted">not audited</span>`}</td></tr>`)}
</tbody></table>`
      : html`<p class="muted">No accepted node yet.</p>`
  }<p><a href="${SITE_PAGES.leaderboard}">The leaderboard per objective</a></p></section>
<section class="panel"><h2>Latest activity</h2>${logRows(data.log.slice(0, 10), data, '', {compact: true})}<p><a href="${SITE_PAGES.log}">The whole activity log</a></p></section>
</div>`
  return {path: SITE_PAGES.overview, text: renderPage(ctx, {path: SITE_PAGES.overview, title: 'Overview', section: 'overview', body})}
}

function card(label: string, value: string | number, key: string): Html {
  return html`<div class="card" data-card="${key}"><div class="n" data-count="${key}">${value}</div><div class="label">${label}</div></div>`
}
