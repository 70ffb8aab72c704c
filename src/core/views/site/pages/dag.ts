import {graphParts, type GraphNode, type GraphParts} from '../../graph.js'
import {arrowDefs, drawDag} from '../dag-drawing.js'
import type {DrawingCache} from '../drawing-cache.js'
import {html, type Html} from '../html.js'
import {pager, renderPage, type PageContext} from '../layout.js'
import {nodePagePath, pagedPath, SITE_PAGES} from '../paths.js'

/**
 * The DAG pages. Sweep groups are folded into one box each (as `rigor graph`
 * draws them). The folded graph is cut into its connected parts (a lineage:
 * a seed, its sweep, what rules spawned from it); each part is laid out on its
 * own, and parts are put on pages of about PAGE_NODES nodes, so a page stays
 * light at 10,000 nodes. Clicking a sweep box swaps its part for the drawing
 * with that sweep expanded (built here too, kept in a <template>); a sweep of
 * more than EXPAND_LIMIT variants expands into a list that links every variant.
 * Nodes alone in their part are listed as chips rather than drawn.
 */

const PAGE_NODES = 600
const EXPAND_LIMIT = 150
/**
 * A lineage of more boxes than this is listed, not drawn: a root with 10,000 children took dagre three
 * minutes to lay out, into one page of 5.6 MB and a drawing 10,000 boxes tall.
 */
const DRAW_LIMIT = 1000
/** an expanded sweep too large to draw lists this many of its variants */
const CHIP_LIMIT = 400

interface Part {
  /** the folded boxes and the variants folded into them */
  members: GraphNode[]
  boxes: number
  first: string
  team: string
}

export function dagPages(ctx: PageContext, cache: DrawingCache): Array<{path: string; text: string}> {
  const {data} = ctx
  const all: GraphNode[] = [...data.nodes.values()].map((n) => ({...n.node, metrics: n.verdict?.metrics}))
  const parts = splitParts(all)
  const drawn = parts.filter((p) => p.boxes > 1 || p.members[0]!.sweep)
  const single = parts.filter((p) => !(p.boxes > 1 || p.members[0]!.sweep)).map((p) => p.members[0]!)
  // parts fill pages in order; a part larger than a page has a page of its own
  const pages: Array<{parts: Part[]; single: GraphNode[]}> = []
  let current: {parts: Part[]; single: GraphNode[]; size: number} = {parts: [], single: [], size: 0}
  const flush = () => {
    if (current.parts.length || current.single.length) pages.push(current)
    current = {parts: [], single: [], size: 0}
  }
  for (const part of drawn) {
    if (current.size > 0 && current.size + part.members.length > PAGE_NODES) flush()
    current.parts.push(part)
    current.size += part.members.length
  }
  for (const node of single) {
    if (current.size >= PAGE_NODES) flush()
    current.single.push(node)
    current.size++
  }
  flush()
  if (pages.length === 0) pages.push({parts: [], single: []})
  const pathOf = (page: number) => pagedPath(SITE_PAGES.dag, page)
  return pages.map((page, i) => {
    const path = pathOf(i + 1)
    const body = html`<h1>The DAG</h1>
<p class="muted">${data.status.total} nodes and ${data.status.sweeps} sweep groups in ${parts.length} lineages. Each sweep is one box counting its variants by status: click it to expand the sweep, click a node for its page. Dashed edges: a rule spawned the node from a sibling, or (labelled requires) it runs once that node is accepted; dashed boxes: archived.</p>
${pager(pages.length, i + 1, pathOf)}
${arrowDefs}
<div class="dag-parts">${page.parts.map((part, j) => drawPart(part, `p${i + 1}-${j + 1}`, cache))}</div>
${page.single.length ? html`<h2>Nodes on their own</h2><div class="chips">${page.single.map(chip)}</div>` : ''}
${pager(pages.length, i + 1, pathOf)}`
    return {path, text: renderPage(ctx, {path, title: i === 0 ? 'DAG' : `DAG, page ${i + 1}`, section: 'dag', body})}
  })
}

/** The folded graph's connected parts, ordered by team and first id. */
function splitParts(all: GraphNode[]): Part[] {
  const folded = graphParts(all, {collapseSweeps: true})
  const leader = new Map<string, string>()
  const find = (id: string): string => {
    let root = id
    while (leader.get(root) !== root) root = leader.get(root)!
    leader.set(id, root)
    return root
  }
  for (const {node} of folded.labelled) leader.set(node.id, node.id)
  for (const edge of folded.edges) leader.set(find(edge.from), find(edge.to))
  const byRoot = new Map<string, Part>()
  const byId = new Map(all.map((n) => [n.id, n]))
  for (const {node} of folded.labelled) {
    const root = find(node.id)
    const part = byRoot.get(root) ?? {members: [], boxes: 0, first: node.id, team: node.team}
    part.members.push(node)
    part.boxes++
    byRoot.set(root, part)
  }
  for (const [variant, group] of folded.folded) byRoot.get(find(group))!.members.push(byId.get(variant)!)
  return [...byRoot.values()].sort((a, b) => (a.team < b.team ? -1 : a.team > b.team ? 1 : a.first < b.first ? -1 : 1))
}

function drawPart(part: Part, key: string, cache: DrawingCache): Html {
  const href = (id: string) => nodePagePath(id)
  const folded = graphParts(part.members, {collapseSweeps: true})
  if (part.boxes > DRAW_LIMIT) return listPart(part, folded)
  const sweeps = part.members.filter((n) => n.sweep)
  const templates: Html[] = []
  const templateOf = new Map<string, string>()
  sweeps.forEach((sweep, k) => templateOf.set(sweep.id, `x-${key}-${k + 1}`))
  for (const sweep of sweeps) {
    const id = templateOf.get(sweep.id)!
    const variants = part.members.filter((n) => folded.folded.get(n.id) === sweep.id)
    const content =
      variants.length <= EXPAND_LIMIT
        ? drawDag(
            graphParts(part.members, {collapseSweeps: true, expanded: new Set([sweep.id])}),
            {
              nodeHref: href,
              expandTemplate: (other) => (other === sweep.id ? undefined : templateOf.get(other)),
            },
            cache,
          )
        : html`<p>${sweep.id}: ${variants.length} variants, too many to draw: <a href="${href(sweep.id)}">the sweep's page</a> ranks them all.</p><div class="chips">${variants.slice(0, CHIP_LIMIT).map(chip)}</div>`
    templates.push(html`<template id="${id}">${content}</template>`)
  }
  const collapsed = drawDag(folded, {nodeHref: href, expandTemplate: (id) => templateOf.get(id)}, cache)
  return html`<section class="dag-component panel" data-team="${part.team}">
<h3>${part.first} <span class="muted">&middot; team ${part.team} &middot; ${part.members.length} node${part.members.length === 1 ? '' : 's'}</span></h3>
<div class="dag-toolbar" hidden><button type="button" data-collapse="1">Collapse the sweep</button></div>
<div class="dag-view">${collapsed}</div>
${templates}
</section>`
}

/** A lineage too large to draw: what draws it instead, and its first boxes (each node page links its children). */
function listPart(part: Part, folded: GraphParts): Html {
  const boxes = folded.labelled.map(({node}) => node)
  const reached = new Set(folded.edges.map((edge) => edge.to))
  const roots = boxes.filter((node) => !reached.has(node.id))
  // one root: the command draws this lineage alone; several: the whole DAG
  const command = roots.length === 1 ? `rigor graph --root ${roots[0]!.id} --format dot` : 'rigor graph --format dot'
  return html`<section class="dag-component panel" data-team="${part.team}">
<h3>${part.first} <span class="muted">&middot; team ${part.team} &middot; ${part.members.length} nodes</span></h3>
<p>${boxes.length} boxes in one lineage, more than a page draws (${DRAW_LIMIT}): <span class="mono">${command}</span> draws it with Graphviz. ${boxes.length > CHIP_LIMIT ? `The first ${CHIP_LIMIT}, by id; each node's page links its children:` : 'Its nodes:'}</p>
<div class="chips">${boxes.slice(0, CHIP_LIMIT).map(chip)}</div>
</section>`
}

function chip(node: GraphNode): Html {
  return html`<a class="s-${node.status.replace(/[^a-z_]/g, '')}${node.archived ? ' archived' : ''}" href="${nodePagePath(node.id)}" data-node="${node.id}" title="${node.status}">${node.id}</a>`
}
