import dagre from '@dagrejs/dagre'
import {curveBasis, line} from 'd3-shape'
import {STATUS_COLOURS, type GraphParts} from '../graph.js'
import type {DrawingCache} from './drawing-cache.js'
import {html, trusted, type Html} from './html.js'

/**
 * One drawing of (part of) the DAG as SVG: dagre lays the boxes and edges out
 * when the site is built, so the page shows it without any script. Boxes link
 * to their node pages; a sweep group box carries `data-expand`, which the
 * site's script turns into its expanded drawing.
 */

const SWEEP_COLOUR = {fill: '#e8eaf6', stroke: '#3949ab'}
const UNKNOWN = {fill: '#ffffff', stroke: '#000000'}
const CHAR_WIDTH = 6.6
const LINE_HEIGHT = 15

export const ARROW_MARKER_ID = 'dag-arrow'

/** The arrow head every drawing on a page refers to (once per page). */
export const arrowDefs = html`<svg width="0" height="0" class="defs" aria-hidden="true"><defs><marker id="${ARROW_MARKER_ID}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#8a949e"/></marker></defs></svg>`

export interface DrawingLinks {
  /** the page of a node, relative to the page the drawing is on */
  nodeHref: (id: string) => string
  /** the template id that holds a sweep group's expanded drawing, when it has one */
  expandTemplate?: (sweepId: string) => string | undefined
}

/** The drawing, from `cache` when an earlier build drew the same boxes, labels, edges and links. */
export function drawDag(parts: GraphParts, links: DrawingLinks, cache: DrawingCache): Html {
  const input = [
    parts.labelled.map(({node, lines}) => [
      node.id,
      node.status,
      Boolean(node.sweep),
      Boolean(node.archived),
      lines,
      links.nodeHref(node.id),
      node.sweep ? (links.expandTemplate?.(node.id) ?? null) : null,
    ]),
    parts.edges.map((e) => [e.from, e.to, e.rule ?? null, e.dashed]),
  ]
  // the cached text is this function's own output, escaped when it was drawn
  return trusted(cache.drawing(input, () => layOut(parts, links).text))
}

function layOut(parts: GraphParts, links: DrawingLinks): Html {
  const g = new dagre.graphlib.Graph({multigraph: true})
  g.setGraph({rankdir: 'LR', nodesep: 12, ranksep: 46, edgesep: 8, marginx: 6, marginy: 6})
  g.setDefaultEdgeLabel(() => ({}))
  for (const {node, lines} of parts.labelled) {
    const width = Math.ceil(16 + CHAR_WIDTH * Math.max(...lines.map((l) => l.length)))
    g.setNode(node.id, {width, height: 10 + LINE_HEIGHT * lines.length})
  }
  parts.edges.forEach((edge, i) => {
    const label = edge.rule === undefined ? {} : {width: CHAR_WIDTH * edge.rule.length + 6, height: 14, labelpos: 'c' as const}
    g.setEdge(edge.from, edge.to, {...label, minlen: 1}, `e${i}`)
  })
  dagre.layout(g)
  const graph = g.graph()
  const width = Math.ceil(graph.width ?? 0)
  const height = Math.ceil(graph.height ?? 0)
  const r = (n: number) => n.toFixed(1)
  const path = line<{x: number; y: number}>()
    .x((p) => p.x)
    .y((p) => p.y)
    .curve(curveBasis)
  const edges = parts.edges.map((edge, i) => {
    const laid = g.edge({v: edge.from, w: edge.to, name: `e${i}`})
    const d = path(laid.points ?? []) ?? ''
    const label =
      edge.rule !== undefined && laid.x !== undefined && laid.y !== undefined
        ? html`<text class="edge-label" x="${r(laid.x)}" y="${r(laid.y + 4)}" text-anchor="middle" fill="#5b6570">${edge.rule}</text>`
        : ''
    return html`<path d="${d}" fill="none" stroke="#8a949e" stroke-width="1.2"${edge.dashed ? html` stroke-dasharray="5 4"` : ''} marker-end="url(#${ARROW_MARKER_ID})"/>${label}`
  })
  const boxes = parts.labelled.map(({node, lines}) => {
    const laid = g.node(node.id)
    const colour = node.sweep ? SWEEP_COLOUR : (STATUS_COLOURS[node.status] ?? UNKNOWN)
    const x = laid.x - laid.width / 2
    const y = laid.y - laid.height / 2
    const text = lines.map(
      (l, i) =>
        html`<text x="${r(laid.x)}" y="${r(y + 5 + LINE_HEIGHT * (i + 1) - 3)}" text-anchor="middle"${i === 0 ? html` font-weight="600"` : ''}>${l}</text>`,
    )
    const shape = html`<rect x="${r(x)}" y="${r(y)}" width="${r(laid.width)}" height="${r(laid.height)}" rx="6" fill="${colour.fill}" stroke="${colour.stroke}"${node.archived ? html` stroke-dasharray="5 4"` : ''}/>${text}<title>${node.id}</title>`
    const template = node.sweep ? links.expandTemplate?.(node.id) : undefined
    if (template)
      return html`<a class="box expandable" href="${links.nodeHref(node.id)}" data-expand="${template}" data-node="${node.id}" data-sweep="1">${shape}</a>`
    return html`<a class="box" href="${links.nodeHref(node.id)}" data-node="${node.id}"${node.sweep ? html` data-sweep="1"` : ''}>${shape}</a>`
  })
  return html`<svg class="dag" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">${edges}${boxes}</svg>`
}
