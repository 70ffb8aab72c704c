import type {LogEntry} from '../../log.js'
import {html, type Html} from '../html.js'
import {pager, renderPage, type PageContext} from '../layout.js'
import type {SiteData} from '../model.js'
import {nodePagePath, pagedPath, SITE_PAGES} from '../paths.js'

const PER_PAGE = 200
/** older entries than these are left to `rigor log` */
const MAX_ENTRIES = 10_000

/** Log entries as a table; node ids link to their pages (`root` leads from the page to the site's root). */
export function logRows(entries: LogEntry[], data: SiteData, root: string, opts: {tableId?: string; compact?: boolean} = {}): Html {
  if (entries.length === 0) return html`<p class="muted">No activity yet.</p>`
  const full = !opts.compact
  return html`<table${opts.tableId ? html` id="${opts.tableId}"` : ''}><thead><tr><th>time (UTC)</th><th>action</th>${full ? html`<th>nodes</th><th>worker</th>` : ''}<th>what</th>${full ? html`<th>commit</th>` : ''}</tr></thead><tbody>
${entries.map(
  (e) =>
    html`<tr data-action="${e.action}"><td class="mono time">${e.time.replace('T', ' ').slice(opts.compact ? 5 : 0, 19)}</td><td>${e.action}</td>${full ? html`<td>${nodeLinks(e.nodes, data, root)}</td><td>${e.worker ?? ''}</td>` : ''}<td>${e.subject}</td>${full ? html`<td class="mono">${e.commit.slice(0, 10)}</td>` : ''}</tr>`,
)}
</tbody></table>`
}

function nodeLinks(ids: string[], data: SiteData, root: string): Html {
  const shown = ids.slice(0, 5).map((id) => (data.nodes.has(id) ? html`<a href="${root}${nodePagePath(id)}">${id}</a>` : html`${id}`))
  return html`${shown.map((link, i) => html`${i ? ', ' : ''}${link}`)}${ids.length > 5 ? html` and ${ids.length - 5} more` : ''}`
}

/** log.html, log-2.html, ...: the activity log, newest first, PER_PAGE entries a page. */
export function logPages(ctx: PageContext): Array<{path: string; text: string}> {
  const entries = ctx.data.log.slice(0, MAX_ENTRIES)
  const pages = Math.max(1, Math.ceil(entries.length / PER_PAGE))
  const pathOf = (page: number) => pagedPath(SITE_PAGES.log, page)
  return Array.from({length: pages}, (_, i) => {
    const path = pathOf(i + 1)
    const slice = entries.slice(i * PER_PAGE, (i + 1) * PER_PAGE)
    const body = html`<h1>Activity</h1>
<p class="muted">rigor's commits on the state branch, newest first, read back from their Rigor-* trailers (<span class="mono">rigor log</span>). ${ctx.data.log.length} entries${ctx.data.log.length > MAX_ENTRIES ? html`; the oldest ${ctx.data.log.length - MAX_ENTRIES} are left to <span class="mono">rigor log</span>` : ''}.</p>
${pager(pages, i + 1, pathOf)}
<input class="filter" type="search" placeholder="filter this page" data-filter="log-table">
<div class="panel">${logRows(slice, ctx.data, '', {tableId: 'log-table'})}</div>
${pager(pages, i + 1, pathOf)}`
    return {path, text: renderPage(ctx, {path, title: i === 0 ? 'Activity' : `Activity, page ${i + 1}`, section: 'log', body})}
  })
}
