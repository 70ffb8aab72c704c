import {html, type Html} from './html.js'
import type {SiteData} from './model.js'
import {rootFrom, SCRIPT_FILE, SITE_PAGES, STYLE_FILE} from './paths.js'

/** the endpoint `rigor site --serve` streams builds on */
export const LIVE_EVENTS_PATH = '/__rigor/events'

/**
 * Nothing but the site's own files: no inline script or style can run (a
 * string that escaped escaping still could not execute), nothing is fetched
 * from elsewhere, forms and <base> are off.
 */
/** What a page may load: the site's own script, style and images, nothing else (also sent as a header by `rigor site --serve`). */
export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'"

export type Section = keyof typeof SITE_PAGES | 'node'

const NAV: Array<[keyof typeof SITE_PAGES, string]> = [
  ['overview', 'Overview'],
  ['dag', 'DAG'],
  ['leaderboard', 'Leaderboard'],
  ['audits', 'Audits'],
  ['budget', 'Budget'],
  ['log', 'Activity'],
]

export interface PageContext {
  data: SiteData
  /** pages carry the live-reload hook (rigor site --serve) */
  live: boolean
}

/** A whole page: head with the policy, the shared stylesheet and script, the navigation, and `body`. */
export function renderPage(ctx: PageContext, opts: {path: string; title: string; section: Section; body: Html}): string {
  const root = rootFrom(opts.path)
  const {data} = ctx
  // nothing here changes with each commit (no commit id, no build time), so a rebuild rewrites only the pages whose content changed
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
${ctx.live ? html`<meta name="rigor-live" content="${LIVE_EVENTS_PATH}">` : ''}
<title>${opts.title} &middot; ${data.workspace.name} &middot; rigor</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${root}${STYLE_FILE}">
<script src="${root}${SCRIPT_FILE}" defer></script>
</head>
<body>
<header class="top">
<span class="brand">rigor &middot; ${data.workspace.name}</span>
<nav>${NAV.map(([section, label]) => html`<a href="${root}${SITE_PAGES[section]}"${section === opts.section ? html` class="here"` : ''}>${label}</a>`)}</nav>
<span class="where">state branch <span class="mono">${data.workspace.branch}</span>${data.workspace.remote ? html` on ${data.workspace.remote}` : ''}</span>
</header>
<main>
${opts.body}
</main>
<footer>Read from the state branch's tip by <span class="mono">rigor site</span>. Static files: no server needed.</footer>
</body>
</html>
`
  return page.text
}

/** A status as a coloured badge; sweep groups and archived nodes are said so. */
export function statusBadge(status: string, opts: {sweep?: boolean; archived?: boolean} = {}): Html {
  if (opts.sweep) return html`<span class="badge s-sweep">sweep</span>`
  const short = status.replace(/^proven_/, '')
  return html`<span class="badge s-${status.replace(/[^a-z_]/g, '')}" data-status="${status}">${short}</span>${opts.archived ? html` <span class="archived">archived</span>` : ''}`
}

/** A number for a table: integers as they are, others to `digits` places, missing as a dash. */
export function num(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined) return '–'
  if (!Number.isFinite(value)) return String(value)
  return Number.isInteger(value) ? String(value) : value.toFixed(digits)
}

export const pct = (value: number | null | undefined, digits = 1): string =>
  value === null || value === undefined || !Number.isFinite(value) ? '–' : `${(value * 100).toFixed(digits)}%`

export const usd = (value: number | null | undefined): string =>
  value === null || value === undefined ? '–' : `$${value.toFixed(value !== 0 && Math.abs(value) < 0.1 ? 4 : 2)}`

/** Links to the pages of a paged listing. */
export function pager(pages: number, current: number, pathOf: (page: number) => string): Html {
  if (pages <= 1) return html``
  return html`<div class="pager">Page: ${Array.from({length: pages}, (_, i) =>
    i + 1 === current ? html`<span><b>${i + 1}</b></span>` : html`<a href="${pathOf(i + 1)}">${i + 1}</a>`,
  )}</div>`
}
