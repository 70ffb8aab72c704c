import {utcDay} from '../../../dag/budget.js'
import {stackedBars} from '../charts.js'
import {html} from '../html.js'
import {renderPage, usd, type PageContext} from '../layout.js'
import {nodePagePath, SITE_PAGES} from '../paths.js'

const SHOWN_CALLS = 500

/**
 * budget.html: today's budget as admission sees it (spent, reserved for runs
 * in flight, left), spend per day split into runs (verdict costs) and agent
 * calls, and the agent calls by agent and one by one.
 */
export function budgetPage(ctx: PageContext): {path: string; text: string} {
  const {data} = ctx
  const b = data.budget
  const runs = new Map<string, number>()
  for (const site of data.nodes.values()) {
    const v = site.verdict
    if (v?.cost) runs.set(utcDay(new Date(v.finished_at)), (runs.get(utcDay(new Date(v.finished_at))) ?? 0) + v.cost.usd)
  }
  const agents = new Map<string, number>()
  const byAgent = new Map<string, {calls: number; attempts: number; failures: number; usd: number; tokensIn: number; tokensOut: number}>()
  for (const call of data.agentCalls) {
    const day = utcDay(new Date(call.called_at))
    agents.set(day, (agents.get(day) ?? 0) + call.cost.usd)
    const totals = byAgent.get(call.agent) ?? {calls: 0, attempts: 0, failures: 0, usd: 0, tokensIn: 0, tokensOut: 0}
    totals.calls++
    totals.attempts += call.attempts
    totals.failures += call.failures.length
    totals.usd += call.cost.usd
    totals.tokensIn += call.cost.tokens_in ?? 0
    totals.tokensOut += call.cost.tokens_out ?? 0
    byAgent.set(call.agent, totals)
  }
  const chart = stackedBars({
    title: 'spend per day',
    categories: data.days.map((d) => d.date),
    series: [
      {key: 'runs', label: 'runs', colour: '#1f6feb'},
      {key: 'agents', label: 'agent calls', colour: '#8250df'},
    ],
    value: (day, key) => (key === 'runs' ? runs : agents).get(day) ?? 0,
    format: (v) => `$${v.toFixed(2)}`,
    categoryLabel: (day) => day.slice(5),
  })
  const calls = [...data.agentCalls].reverse().slice(0, SHOWN_CALLS)
  const body = html`<h1>Budget and agent spend</h1>
<div class="cards">
<div class="card"><div class="n" data-count="spent">${usd(b.spent_usd)}</div><div class="label">spent ${b.day} (UTC)</div></div>
<div class="card"><div class="n">${usd(b.reserved_usd)}</div><div class="label">reserved for ${b.running} run(s) in flight</div></div>
<div class="card"><div class="n">${b.daily_usd === null ? 'no limit' : usd(b.daily_usd)}</div><div class="label">daily budget</div></div>
<div class="card"><div class="n">${b.remaining_usd === null ? '–' : usd(b.remaining_usd)}</div><div class="label">left today</div></div>
</div>
<section class="panel"><h2>Spend per day</h2>${chart}</section>
<section class="panel"><h2>Agents</h2>${
    byAgent.size
      ? html`<table id="agents"><thead><tr><th>agent</th><th class="num">calls</th><th class="num">attempts</th><th class="num">failed attempts</th><th class="num">tokens in</th><th class="num">tokens out</th><th class="num">cost</th></tr></thead><tbody>
${[...byAgent].map(([agent, t]) => html`<tr><td>${agent}</td><td class="num">${t.calls}</td><td class="num">${t.attempts}</td><td class="num">${t.failures}</td><td class="num">${t.tokensIn}</td><td class="num">${t.tokensOut}</td><td class="num">${usd(t.usd)}</td></tr>`)}
</tbody></table>
<h3>Calls, newest first${data.agentCalls.length > SHOWN_CALLS ? html` (the latest ${SHOWN_CALLS} of ${data.agentCalls.length})` : ''}</h3>
<table><thead><tr><th>called at</th><th>kind</th><th>agent</th><th>node</th><th class="num">attempts</th><th class="num">cost</th><th>failures</th></tr></thead><tbody>
${calls.map((c) => html`<tr><td class="mono">${c.called_at}</td><td>${c.kind}</td><td>${c.agent}</td><td>${c.node ? (data.nodes.has(c.node) ? html`<a href="${nodePagePath(c.node)}">${c.node}</a>` : c.node) : ''}</td><td class="num">${c.attempts}</td><td class="num">${usd(c.cost.usd)}${c.cost_unread?.length ? html` <span class="muted" title="${c.cost_unread.join('; ')}">(not reported: held)</span>` : ''}</td><td>${c.failures.join('; ')}</td></tr>`)}
</tbody></table>`
      : html`<p class="muted">No agent call yet (<span class="mono">rigor design</span> and <span class="mono">rigor assess</span> record theirs under reports/agent-calls/).</p>`
  }
${data.unusableAgentCalls.length ? html`<p class="warn">${data.unusableAgentCalls.length} agent call record(s) cannot be used and count nothing: ${data.unusableAgentCalls.map((u) => u.file).join(', ')}</p>` : ''}</section>`
  return {path: SITE_PAGES.budget, text: renderPage(ctx, {path: SITE_PAGES.budget, title: 'Budget', section: 'budget', body})}
}
