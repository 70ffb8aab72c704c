import {owedAudit} from '../../../auditor/stats.js'
import {html} from '../html.js'
import {num, pct, renderPage, type PageContext} from '../layout.js'
import {nodePagePath, SITE_PAGES} from '../paths.js'

/**
 * audits.html: the backlog (auditable accepted nodes with no usable audit, best
 * Sharpe first: what to audit next), every audit newest first with the checks that
 * failed, and audit files that cannot be used.
 */
export function auditsPage(ctx: PageContext): {path: string; text: string} {
  const {data} = ctx
  const backlog: Array<{id: string; team: string; sharpe: number | undefined; finished: string}> = []
  const audits: Array<{
    id: string
    file: string
    verdict: 'PASS' | 'FAIL'
    auditor: string
    at: string
    summary: string
    holdout: string
    failed: string[]
  }> = []
  const unusable: Array<{id: string; file: string; problem: string}> = []
  for (const [id, site] of data.nodes) {
    for (const u of site.unusableAudits) unusable.push({id, ...u})
    for (const a of site.audits)
      audits.push({
        id,
        file: a.file,
        verdict: a.front.verdict,
        auditor: a.front.auditor,
        at: a.front.audited_at,
        summary: a.front.summary ?? '',
        holdout: a.front.holdout?.summary ?? '',
        failed: a.front.checks.filter((c) => c.result === 'fail' || c.result === 'error').map((c) => `${c.name} (${c.result})`),
      })
    if (owedAudit(site.node, site.verdict) && site.audits.length === 0)
      backlog.push({id, team: site.node.team, sharpe: site.verdict?.metrics.sharpe, finished: site.verdict?.finished_at ?? ''})
  }
  backlog.sort((a, b) => (b.sharpe ?? -Infinity) - (a.sharpe ?? -Infinity) || (a.id < b.id ? -1 : 1))
  audits.sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || (a.file < b.file ? 1 : -1))
  const body = html`<h1>Audits</h1>
<div class="cards">
<div class="card"><div class="n" data-count="audit-backlog">${data.health.audit_backlog}</div><div class="label">auditable, accepted, not audited</div></div>
<div class="card"><div class="n" data-count="audits">${audits.length}</div><div class="label">audits</div></div>
<div class="card"><div class="n" data-count="failed-audit-rate">${pct(data.health.failed_audit_rate, 0)}</div><div class="label">failed-audit rate (newest audit of each node)</div></div>
</div>
<section class="panel"><h2>Backlog</h2>${
    backlog.length
      ? html`<table id="backlog"><thead><tr><th>node</th><th>team</th><th class="num">sharpe</th><th>accepted at</th></tr></thead><tbody>
${backlog.map((b) => html`<tr data-node="${b.id}"><td><a href="${nodePagePath(b.id)}">${b.id}</a></td><td>${b.team}</td><td class="num">${num(b.sharpe, 2)}</td><td class="mono">${b.finished}</td></tr>`)}
</tbody></table><p class="muted"><span class="mono">rigor audit &lt;node&gt;</span> audits one.</p>`
      : html`<p class="muted">Every accepted node that wrote out/returns.csv has an audit.</p>`
  }</section>
<section class="panel"><h2>Every audit</h2>${
    audits.length
      ? html`<input class="filter" type="search" placeholder="filter" data-filter="audit-table"><table id="audit-table"><thead><tr><th>audited at</th><th>node</th><th>verdict</th><th>auditor</th><th>failed checks</th><th>sealed holdout</th></tr></thead><tbody>
${audits.map((a) => html`<tr data-node="${a.id}"><td class="mono">${a.at}</td><td><a href="${nodePagePath(a.id)}">${a.id}</a></td><td><span class="badge v-${a.verdict}">${a.verdict}</span></td><td>${a.auditor}</td><td>${a.failed.join(', ') || html`<span class="muted">none</span>`}</td><td>${a.holdout}</td></tr>`)}
</tbody></table>`
      : html`<p class="muted">No audit yet.</p>`
  }</section>
${
  unusable.length
    ? html`<section class="panel"><h2 class="warn">Audit files that cannot be used</h2><table><thead><tr><th>file</th><th>problem</th></tr></thead><tbody>
${unusable.map((u) => html`<tr><td class="mono">${u.file}</td><td>${u.problem}</td></tr>`)}
</tbody></table></section>`
    : ''
}`
  return {path: SITE_PAGES.audits, text: renderPage(ctx, {path: SITE_PAGES.audits, title: 'Audits', section: 'audits', body})}
}
