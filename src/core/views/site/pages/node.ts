import {figureText} from '../../../auditor/report.js'
import {owedAudit} from '../../../auditor/stats.js'
import type {AuditCheck} from '../../../schemas/index.js'
import {html, type Html} from '../html.js'
import {num, pct, renderPage, statusBadge, usd, type PageContext} from '../layout.js'
import type {SiteData, SiteNode} from '../model.js'
import {chartPath, nodePagePath, rootFrom, SITE_PAGES} from '../paths.js'

/** the size the equity chart is drawn at (src/core/auditor/chart.ts), so the page does not jump while it loads */
const CHART_SIZE = {width: 760, height: 456}
/** a sweep group's page lists this many of its variants */
const SHOWN_VARIANTS = 1000

/**
 * A node's page: what `rigor show` says of it (params, verdict, gates,
 * inputs, lineage, children, audits with their checks) and the charts of its
 * committed returns and of its audits.
 */
export function nodePage(ctx: PageContext, id: string, site: SiteNode): {path: string; text: string} {
  const path = nodePagePath(id)
  const root = rootFrom(path)
  const {node, verdict} = site
  const link = (other: string) => nodeLink(ctx.data, other, root)
  const facts: Array<[string, Html | string | number | undefined]> = [
    ['team', node.team],
    ['status', statusBadge(node.status, {sweep: node.sweep, archived: node.archived})],
    ['created', node.created_at],
    ['seeded by', node.seeded_by],
    ['designed by', node.designed_by],
    ['spawned by', node.spawned_by ? html`rule <b>${node.spawned_by.rule}</b> from ${link(node.spawned_by.from)}` : undefined],
    ['generation', node.generation],
    ['family', node.family],
    ['priority', node.priority],
    ['attempt', node.attempt],
    ['worker', node.worker],
    ['started', node.started_at],
    ['lease until', node.lease_until],
    ['reason', node.reason],
  ]
  const params = Object.entries(node.params)
  const body = html`<p class="muted"><a href="${root}${SITE_PAGES.dag}">DAG</a>${site.lineage.map((a) => html` &rsaquo; ${link(a)}`)}</p>
<h1 data-node="${id}">${id} ${statusBadge(node.status, {sweep: node.sweep, archived: node.archived})}</h1>
<div class="grid2">
<section class="panel"><h2>Node</h2><dl class="facts">${facts
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl></section>
<section class="panel"><h2>Params</h2>${
    params.length
      ? html`<table id="params"><tbody>${params.map(([k, v]) => html`<tr><th>${k}</th><td class="mono">${JSON.stringify(v)}</td></tr>`)}</tbody></table>`
      : html`<p class="muted">none</p>`
  }</section>
</div>
<div class="grid2">
<section class="panel"><h2>Inputs</h2><dl class="facts">
<dt>data</dt><dd class="mono">${node.data ?? html`<span class="muted">none</span>`}</dd>
<dt>requires</dt><dd>${node.requires.length ? node.requires.map((r, i) => html`${i ? ', ' : ''}${link(r)}`) : html`<span class="muted">nothing</span>`}</dd>
<dt>run</dt><dd class="mono">${node.run.command.map((arg, i) => html`${i ? ' ' : ''}<span class="arg">${arg}</span>`)}</dd>
</dl></section>
<section class="panel"><h2>Lineage</h2><dl class="facts">
<dt>ancestors</dt><dd>${site.lineage.length ? site.lineage.map((a, i) => html`${i ? ' › ' : ''}${link(a)}`) : html`<span class="muted">none: a root</span>`}</dd>
<dt>children</dt><dd>${site.children.length ? site.children.map((c, i) => html`${i ? ', ' : ''}${link(c)}`) : html`<span class="muted">none</span>`}</dd>
</dl></section>
</div>
${node.sweep ? variantsSection(ctx.data, site, root) : ''}
${verdict ? verdictSection(site, root) : site.verdictProblem ? html`<section class="panel"><h2>Verdict</h2><p class="warn">${site.verdictProblem}</p></section>` : node.sweep ? '' : html`<section class="panel"><h2>Verdict</h2><p class="muted" data-verdict="none">No verdict yet.</p></section>`}
${auditsSection(site, root)}`
  return {path, text: renderPage(ctx, {path, title: id, section: 'node', body})}
}

export function nodeLink(data: SiteData, id: string, root: string): Html {
  return data.nodes.has(id) ? html`<a href="${root}${nodePagePath(id)}">${id}</a>` : html`<span class="mono">${id}</span>`
}

function verdictSection(site: SiteNode, root: string): Html {
  const v = site.verdict!
  const metrics = Object.entries(v.metrics)
  return html`<section class="panel" id="verdict" data-verdict="${v.status}"><h2>Verdict ${statusBadge(v.status)}</h2>
<div class="grid2"><div><dl class="facts">
<dt>decided by</dt><dd>${v.decided_by}</dd>
${v.reason ? html`<dt>reason</dt><dd>${v.reason}</dd>` : ''}
<dt>worker</dt><dd>${v.worker} (attempt ${v.attempt})</dd>
<dt>ran</dt><dd>${v.started_at} &rarr; ${v.finished_at} (${num(v.duration_s, 1)} s)</dd>
${v.cost ? html`<dt>cost</dt><dd>${usd(v.cost.usd)}${v.cost.tokens_in !== undefined ? ` · ${v.cost.tokens_in} tokens in, ${v.cost.tokens_out ?? 0} out` : ''}</dd>` : ''}
${v.exit_code !== undefined && v.exit_code !== null ? html`<dt>exit code</dt><dd>${v.exit_code}</dd>` : ''}
${v.sandbox ? html`<dt>sandbox</dt><dd>${v.sandbox}</dd>` : ''}
<dt>seed</dt><dd>${v.seed}</dd>
${v.spawned.length ? html`<dt>spawned</dt><dd>${v.spawned.join(', ')}</dd>` : ''}
</dl>
<h3>Gates</h3>${
    v.gates.length
      ? html`<table id="gates"><thead><tr><th>gate</th><th>result</th><th>detail</th></tr></thead><tbody>${v.gates.map((g) => html`<tr><td>${g.name}</td><td><span class="badge g-${g.result}">${g.result}</span></td><td>${g.detail ?? ''}</td></tr>`)}</tbody></table>`
      : html`<p class="muted">No gate judged this run.</p>`
  }</div>
<div><h3>Metrics</h3>${
    metrics.length
      ? html`<table id="metrics"><tbody>${metrics.map(([k, value]) => html`<tr><th>${k}</th><td class="num">${/drawdown|return|rate|volatility/.test(k) ? `${num(value, 4)} (${pct(value)})` : num(value, 4)}</td></tr>`)}</tbody></table>`
      : html`<p class="muted">none</p>`
  }</div></div>
${v.notes ? html`<h3>Notes</h3><pre class="notes" id="notes">${v.notes}</pre>` : ''}
${
  site.returnsOid
    ? html`<h3>Equity and drawdown (out/returns.csv)</h3><img class="chart" id="equity-chart" src="${root}${chartPath(site.returnsOid)}" width="${CHART_SIZE.width}" height="${CHART_SIZE.height}" alt="equity and drawdown of the committed returns">`
    : ''
}
${
  Object.keys(v.artifacts).length
    ? html`<h3>Committed outputs</h3><table><tbody>${Object.entries(v.artifacts).map(([file, sum]) => html`<tr><td class="mono">${file}</td><td class="mono">${sum}</td></tr>`)}</tbody></table>`
    : ''
}
${
  v.omitted?.length || v.truncated?.length
    ? html`<p class="muted">Left out: ${(v.omitted ?? []).map((o) => `${o.path} (${o.reason})`).join('; ')} ${(v.truncated ?? []).map((t) => `${t.path} kept ${t.kept} of ${t.bytes} bytes`).join('; ')}</p>`
    : ''
}
</section>`
}

function auditsSection(site: SiteNode, root: string): Html {
  if (site.audits.length === 0 && site.unusableAudits.length === 0) {
    return owedAudit(site.node, site.verdict)
      ? html`<section class="panel"><h2>Audits</h2><p class="muted">Not audited yet: in the audit backlog.</p></section>`
      : html``
  }
  return html`<section class="panel" id="audits"><h2>Audits</h2>
${site.audits.map(
  (
    a,
  ) => html`<article class="audit" data-audit="${a.front.verdict}"><h3><span class="badge v-${a.front.verdict}">${a.front.verdict}</span> by ${a.front.auditor} at ${a.front.audited_at} <span class="muted mono">${a.file}</span></h3>
${a.front.summary ? html`<p>${a.front.summary}</p>` : ''}
${a.front.holdout ? html`<p><b>Sealed holdout:</b> ${a.front.holdout.summary}</p>` : ''}
${a.front.family ? html`<p class="muted">Family for DSR and PBO: ${a.front.family.counted}</p>` : ''}
<table class="checks"><thead><tr><th>check</th><th>result</th><th>figures</th><th>threshold</th></tr></thead><tbody>
${a.front.checks.map(checkRow)}
</tbody></table>
${
  a.front.issues.length
    ? html`<h3>Issues</h3><table><thead><tr><th>id</th><th>severity</th><th>category</th><th>description</th><th>remediation</th></tr></thead><tbody>${a.front.issues.map((i) => html`<tr><td>${i.id}</td><td>${i.severity}</td><td>${i.category}</td><td>${i.description} <span class="muted">(${i.location})</span></td><td>${i.remediation}</td></tr>`)}</tbody></table>`
    : ''
}
${a.chartOid ? html`<img class="chart audit-chart" src="${root}${chartPath(a.chartOid)}" alt="the audit's equity chart">` : ''}
</article>`,
)}
${site.unusableAudits.map((u) => html`<p class="warn">${u.file} cannot be used: ${u.problem}</p>`)}
</section>`
}

function checkRow(c: AuditCheck): Html {
  return html`<tr><td>${c.name}</td><td><span class="badge r-${c.result}">${c.result}</span></td><td>${[c.reason, figureText(c.figures)].filter(Boolean).join('. ')}</td><td>${c.threshold ? figureText(c.threshold) : ''}</td></tr>`
}

/** A sweep group's variants, best Sharpe first. */
function variantsSection(data: SiteData, site: SiteNode, root: string): Html {
  const variants = site.children
    .map((id) => ({id, site: data.nodes.get(id)}))
    .filter((v): v is {id: string; site: SiteNode} => v.site !== undefined && !v.site.node.spawned_by)
    .sort((a, b) => (b.site.verdict?.metrics.sharpe ?? -Infinity) - (a.site.verdict?.metrics.sharpe ?? -Infinity) || (a.id < b.id ? -1 : 1))
  return html`<section class="panel"><h2>Variants (${variants.length})</h2>
<input class="filter" type="search" placeholder="filter" data-filter="variants">
<table id="variants"><thead><tr><th>variant</th><th>status</th><th class="num">sharpe</th><th class="num">max drawdown</th><th class="num">total return</th></tr></thead><tbody>
${variants
  .slice(0, SHOWN_VARIANTS)
  .map(
    ({id, site: v}) =>
      html`<tr><td>${nodeLink(data, id, root)}</td><td>${statusBadge(v.node.status, {archived: v.node.archived})}</td><td class="num">${num(v.verdict?.metrics.sharpe, 2)}</td><td class="num">${pct(v.verdict?.metrics.max_drawdown)}</td><td class="num">${pct(v.verdict?.metrics.total_return)}</td></tr>`,
  )}
</tbody></table>${variants.length > SHOWN_VARIANTS ? html`<p class="muted">and ${variants.length - SHOWN_VARIANTS} more (best ${SHOWN_VARIANTS} shown).</p>` : ''}</section>`
}
