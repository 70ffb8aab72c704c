import {createHash} from 'node:crypto'

/**
 * Where each page of the site lives, relative to the site's root. Node pages
 * are flat files under nodes/ (a node id is a lineage path; `/` becomes `~`,
 * which no id contains, so two ids never share a page), charts are named by the
 * blob they draw, so a rebuild reuses every chart whose data did not change.
 */

export const SITE_PAGES = {
  overview: 'index.html',
  dag: 'dag.html',
  leaderboard: 'leaderboard.html',
  audits: 'audits.html',
  budget: 'budget.html',
  log: 'log.html',
} as const

export const STYLE_FILE = 'assets/site.css'
export const SCRIPT_FILE = 'assets/site.js'
/** what a live page polls for: the commit the site was built from */
export const VERSION_FILE = 'version.json'
/** the site's own record of what it wrote (incremental rebuilds; never deleting files it did not write) */
export const MANIFEST_FILE = '.rigor-site.json'

/** file names stay well under the 255 bytes a file system allows */
const MAX_NAME = 180

export function nodePagePath(id: string): string {
  let name = id.replace(/\//g, '~')
  if (name.length > MAX_NAME) name = `${name.slice(0, 150)}~${createHash('sha256').update(id).digest('hex').slice(0, 16)}`
  return `nodes/${name}.html`
}

export const chartPath = (blobOid: string): string => `charts/${blobOid}.svg`

/** The n-th page (1-based) of a paged listing: log.html, log-2.html, ... */
export function pagedPath(first: string, page: number): string {
  return page <= 1 ? first : first.replace(/\.html$/, `-${page}.html`)
}

/** The path from a page to the site's root ('' at the root, '../' under nodes/). */
export function rootFrom(pagePath: string): string {
  return '../'.repeat(pagePath.split('/').length - 1)
}
