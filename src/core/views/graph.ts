/**
 * The lineage DAG as Mermaid (renders in GitHub markdown) or Graphviz DOT.
 *
 * Decisions (README material):
 * - Edges go parent -> child. The parent is the node's `parent` field, or else the id's
 *   prefix when a node with that id exists (ids are lineage paths). A rule spawn's edge
 *   is labelled with the rule name; when the spawning node is not the lineage parent
 *   (a sibling spawn), a dashed labelled edge joins the spawning node as well.
 *   Edges to nodes that are not in the set are left out.
 * - Labels: the last id segment (the full id for nodes drawn without a parent), the
 *   status, `sharpe` to 2 decimals when the node has that metric, and `archived`.
 * - Colours: one class (mermaid classDef) or fillcolor (dot) per status; archived
 *   nodes get a dashed border.
 * - A node's `requires` that it does not read from (an input) is a dashed edge labelled
 *   `requires`: it runs only once that node is accepted.
 * - `root` keeps that node and everything reachable from it; a root that is no node's id
 *   but a lineage prefix keeps every node under it and what they reach.
 * - Output is sorted by node id and edge endpoints, so the same DAG gives the same text.
 * - Mermaid flows left to right (a pull request is wider than it is tall for a lineage).
 * - A sweep group (`sweep: true`) is never run, so it is drawn as a group, never as
 *   `pending`: its label counts its variants by status. With `collapseSweeps` its
 *   variants are folded into that one box (edges from a variant start at the box).
 */
import {InputError} from '../errors.js'
import {parentId} from '../state/ids.js'
import {unknownNodeHint} from '../validation.js'

export interface GraphNode {
  id: string
  status: string
  team: string
  parent?: string
  spawned_by?: {rule: string; from: string}
  archived?: boolean
  sweep?: boolean
  metrics?: Record<string, number>
  /** stage inputs: a data edge from each upstream, labelled with the input's name */
  inputs?: ReadonlyArray<{from: string; as: string}>
  /** nodes that must be accepted before this one runs: a dashed edge labelled `requires` from each (one it reads from has its data edge) */
  requires?: readonly string[]
}

export interface GraphOptions {
  format: 'mermaid' | 'dot'
  root?: string
  /** fold each sweep's variants into its group box */
  collapseSweeps?: boolean
  /** sweep groups drawn with their variants even when the others are folded */
  expanded?: ReadonlySet<string>
}

const SWEEP_CLASS = 'sweep_group'
const SWEEP_COLOUR = {fill: '#e8eaf6', stroke: '#3949ab'}
const SHORT_STATUS: Record<string, string> = {proven_accepted: 'accepted', proven_rejected: 'rejected'}

/** a box of the drawing: the node and the lines of its label */
export type Labelled = {node: GraphNode; lines: string[]}

export interface Edge {
  from: string
  to: string
  rule?: string
  /** a spawn edge that is not the lineage edge */
  dashed: boolean
  /** a data edge: the upstream's out/ files this node reads (rule is the input's name) */
  data?: boolean
}

/** fill and border colours per status: grey waiting, blue running, green/red decided, amber unclear */
export const STATUS_COLOURS: Record<string, {fill: string; stroke: string}> = {
  pending: {fill: '#f5f5f5', stroke: '#9e9e9e'},
  running: {fill: '#bbdefb', stroke: '#1e88e5'},
  proven_accepted: {fill: '#c8e6c9', stroke: '#2e7d32'},
  proven_rejected: {fill: '#ffcdd2', stroke: '#c62828'},
  inconclusive: {fill: '#fff3c4', stroke: '#f9a825'},
  blocked: {fill: '#ffe0b2', stroke: '#ef6c00'},
  cancelled: {fill: '#e0e0e0', stroke: '#616161'},
}
const UNKNOWN_STATUS = {fill: '#ffffff', stroke: '#000000'}

export function renderGraph(nodes: GraphNode[], opts: GraphOptions): string {
  const {labelled, edges} = graphParts(nodes, opts)
  return opts.format === 'dot' ? renderDot(labelled, edges) : renderMermaid(labelled, edges)
}

/** What a drawing of the DAG shows: the boxes with their label lines and the edges, sorted (the mermaid and dot texts, and the site's SVG, draw these). */
export interface GraphParts {
  labelled: Labelled[]
  edges: Edge[]
  /** each folded variant's sweep group */
  folded: Map<string, string>
}

export function graphParts(nodes: GraphNode[], opts: Omit<GraphOptions, 'format'>): GraphParts {
  const byId = new Map(nodes.map((node) => [node.id, node]))
  const variants = new Map<string, GraphNode[]>()
  for (const node of byId.values()) {
    const parent = node.parent ?? parentId(node.id)
    if (parent !== undefined && byId.get(parent)?.sweep && !node.spawned_by) variants.set(parent, [...(variants.get(parent) ?? []), node])
  }
  let edges = lineageEdges(nodes, byId)
  let shown = [...byId.values()]
  const groupOf = new Map<string, string>()
  if (opts.collapseSweeps) {
    // the sweep of a variant asked for as the root stays open: folded, the root would draw nothing
    const open = (group: string, members: GraphNode[]) => opts.expanded?.has(group) || members.some((m) => m.id === opts.root)
    for (const [group, members] of variants) if (!open(group, members)) for (const member of members) groupOf.set(member.id, group)
    shown = shown.filter((node) => !groupOf.has(node.id))
    const seen = new Set<string>()
    edges = edges
      .map((edge) => ({...edge, from: groupOf.get(edge.from) ?? edge.from, to: groupOf.get(edge.to) ?? edge.to}))
      .filter((edge) => {
        const key = `${edge.from}>${edge.to}>${edge.rule ?? ''}>${edge.dashed}>${edge.data ?? false}`
        if (edge.from === edge.to || seen.has(key)) return false
        seen.add(key)
        return true
      })
  }
  if (opts.root !== undefined) {
    // a lineage prefix (`momentum` for momentum/a, momentum/b) roots each node under it when no node has that id
    const under = `${opts.root.replace(/\/+$/, '')}/`
    const roots = byId.has(opts.root) ? [opts.root] : [...byId.keys()].filter((id) => id.startsWith(under))
    if (roots.length === 0)
      throw new InputError(`no node "${opts.root}" in the DAG, nor any node under ${under}`, {
        field: '--root',
        fix: unknownNodeHint(opts.root, byId.keys()),
      })
    const kept = reachableFrom(
      roots.map((id) => groupOf.get(id) ?? id),
      edges,
    )
    shown = shown.filter((node) => kept.has(node.id))
    edges = edges.filter((edge) => kept.has(edge.from) && kept.has(edge.to))
  }
  shown.sort((a, b) => compare(a.id, b.id))
  edges.sort(
    (a, b) =>
      compare(a.from, b.from) ||
      compare(a.to, b.to) ||
      Number(a.dashed) - Number(b.dashed) ||
      Number(a.data ?? false) - Number(b.data ?? false),
  )
  const hasParent = new Set(edges.filter((edge) => !edge.dashed && !edge.data).map((edge) => edge.to))
  const labelled = shown.map((node) => ({
    node,
    lines: node.sweep ? sweepLines(node, variants.get(node.id) ?? [], hasParent.has(node.id)) : labelLines(node, hasParent.has(node.id)),
  }))
  return {labelled, edges, folded: groupOf}
}

function lineageEdges(_nodes: GraphNode[], byId: Map<string, GraphNode>): Edge[] {
  const edges: Edge[] = []
  for (const node of byId.values()) {
    const parent = node.parent ?? parentId(node.id)
    const spawn = node.spawned_by
    if (parent !== undefined && parent !== node.id && byId.has(parent)) {
      edges.push({from: parent, to: node.id, rule: spawn && spawn.from === parent ? spawn.rule : undefined, dashed: false})
    }
    if (spawn && spawn.from !== parent && spawn.from !== node.id && byId.has(spawn.from)) {
      edges.push({from: spawn.from, to: node.id, rule: spawn.rule, dashed: true})
    }
    for (const input of node.inputs ?? [])
      if (byId.has(input.from)) edges.push({from: input.from, to: node.id, rule: input.as, dashed: false, data: true})
    const reads = new Set((node.inputs ?? []).map((input) => input.from))
    for (const required of new Set(node.requires ?? []))
      if (byId.has(required) && !reads.has(required) && required !== node.id)
        edges.push({from: required, to: node.id, rule: 'requires', dashed: true})
  }
  return edges
}

function reachableFrom(roots: readonly string[], edges: Edge[]): Set<string> {
  const children = new Map<string, string[]>()
  for (const edge of edges) children.set(edge.from, [...(children.get(edge.from) ?? []), edge.to])
  const kept = new Set(roots)
  const queue = [...roots]
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      if (!kept.has(child)) {
        kept.add(child)
        queue.push(child)
      }
    }
  }
  return kept
}

function labelLines(node: GraphNode, drawnUnderParent: boolean): string[] {
  const name = drawnUnderParent ? node.id.slice(node.id.lastIndexOf('/') + 1) : node.id
  const lines = [name, node.status]
  const sharpe = node.metrics?.sharpe
  if (typeof sharpe === 'number') lines.push(`sharpe ${Number.isFinite(sharpe) ? sharpe.toFixed(2) : String(sharpe)}`)
  if (node.archived) lines.push('archived')
  return lines
}

/** A sweep group's label: its variants counted by status, and the best Sharpe among them. */
function sweepLines(node: GraphNode, members: GraphNode[], drawnUnderParent: boolean): string[] {
  const name = drawnUnderParent ? node.id.slice(node.id.lastIndexOf('/') + 1) : node.id
  const counts = new Map<string, number>()
  for (const m of members) counts.set(m.status, (counts.get(m.status) ?? 0) + 1)
  const byStatus = [...counts.entries()]
    .sort(([a], [b]) => compareStatus(a, b))
    .map(([status, n]) => `${n} ${SHORT_STATUS[status] ?? status}`)
  const lines = [name, `sweep: ${members.length} variant${members.length === 1 ? '' : 's'}`]
  if (byStatus.length) lines.push(byStatus.join(', '))
  const best = members
    .filter((m) => typeof m.metrics?.sharpe === 'number' && Number.isFinite(m.metrics.sharpe))
    .sort((a, b) => b.metrics!.sharpe! - a.metrics!.sharpe!)[0]
  if (best) lines.push(`best sharpe ${best.metrics!.sharpe!.toFixed(2)}`)
  return lines
}

/** Plain code-unit order: the same in every locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

// ---------------------------------------------------------------------------
// mermaid

function renderMermaid(labelled: Labelled[], edges: Edge[]): string {
  const out = ['flowchart LR']
  if (labelled.length === 0) out.push('  %% no nodes')
  for (const {node, lines} of labelled) out.push(`  ${mermaidId(node.id)}["${lines.map(mermaidText).join('<br/>')}"]`)
  for (const edge of edges) {
    // data edges are thick: they carry files, not lineage
    const arrow = edge.data ? '==>' : edge.dashed ? '-.->' : '-->'
    const label = edge.rule === undefined ? '' : `|"${mermaidText(edge.rule)}"|`
    out.push(`  ${mermaidId(edge.from)} ${arrow}${label} ${mermaidId(edge.to)}`)
  }
  const statuses = [...new Set(labelled.filter(({node}) => !node.sweep).map(({node}) => node.status))].sort(compareStatus)
  const groups = labelled.filter(({node}) => node.sweep)
  for (const status of statuses) {
    const colour = STATUS_COLOURS[status] ?? UNKNOWN_STATUS
    out.push(`  classDef ${statusClass(status)} fill:${colour.fill},stroke:${colour.stroke},color:#000000`)
  }
  if (groups.length > 0)
    out.push(`  classDef ${SWEEP_CLASS} fill:${SWEEP_COLOUR.fill},stroke:${SWEEP_COLOUR.stroke},color:#000000,stroke-width:2px`)
  const archived = labelled.filter(({node}) => node.archived)
  if (archived.length > 0) out.push('  classDef archived stroke-dasharray:5 5')
  for (const status of statuses) {
    const ids = labelled.filter(({node}) => !node.sweep && node.status === status).map(({node}) => mermaidId(node.id))
    out.push(`  class ${ids.join(',')} ${statusClass(status)}`)
  }
  if (groups.length > 0) out.push(`  class ${groups.map(({node}) => mermaidId(node.id)).join(',')} ${SWEEP_CLASS}`)
  if (archived.length > 0) out.push(`  class ${archived.map(({node}) => mermaidId(node.id)).join(',')} archived`)
  return `${out.join('\n')}\n`
}

/** Mermaid's default limits, which GitHub's renderer keeps: past either, it shows an error in place of the drawing. */
export const MERMAID_LIMITS = {characters: 50_000, edges: 500} as const

/** How large a diagram of renderMermaid is, in MERMAID_LIMITS' terms (each edge is one line with one arrow). */
export function mermaidSize(text: string): {characters: number; edges: number} {
  return {characters: text.length, edges: text.match(/^ {2}n_\S* (?:-->|==>|-\.->)/gm)?.length ?? 0}
}

/** Whether a diagram of renderMermaid is within MERMAID_LIMITS. */
export function mermaidFits(text: string): boolean {
  const size = mermaidSize(text)
  return size.characters <= MERMAID_LIMITS.characters && size.edges <= MERMAID_LIMITS.edges
}

/**
 * A mermaid node id for a rigor id: `n_` then the id with `_` written `__`, `/` `_s`,
 * `.` `_d`, `-` `_h` (and any other character `_x<hex>_`). One-to-one, so two ids
 * never share a box, and the prefix keeps ids such as `end` or `o...` from being
 * read as keywords or edge heads.
 */
export function mermaidId(id: string): string {
  let out = 'n_'
  for (const char of id) {
    if (/[a-zA-Z0-9]/.test(char)) out += char
    else if (char === '_') out += '__'
    else if (char === '/') out += '_s'
    else if (char === '.') out += '_d'
    else if (char === '-') out += '_h'
    else out += `_x${char.codePointAt(0)!.toString(16)}_`
  }
  return out
}

/** Text inside a quoted mermaid label: entity codes for what would end or break it. */
function mermaidText(text: string): string {
  return text.replace(/[#"<>&|\\`\n\r]/g, (char) => (char === '\n' || char === '\r' ? ' ' : `#${char.charCodeAt(0)};`))
}

function statusClass(status: string): string {
  return `status_${status.replace(/[^a-zA-Z0-9_]/g, '_')}`
}

const STATUS_ORDER = Object.keys(STATUS_COLOURS)
function compareStatus(a: string, b: string): number {
  const rank = (s: string) => (STATUS_ORDER.includes(s) ? STATUS_ORDER.indexOf(s) : STATUS_ORDER.length)
  return rank(a) - rank(b) || compare(a, b)
}

// ---------------------------------------------------------------------------
// dot

function renderDot(labelled: Labelled[], edges: Edge[]): string {
  const out = [
    'digraph rigor {',
    '  rankdir=TB;',
    '  node [shape=box, style="rounded,filled", fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ]
  for (const {node, lines} of labelled) {
    const colour = node.sweep ? SWEEP_COLOUR : (STATUS_COLOURS[node.status] ?? UNKNOWN_STATUS)
    const style = node.archived ? ', style="rounded,filled,dashed"' : ''
    out.push(
      `  ${dotString(node.id)} [label=${dotString(lines.join('\n'))}, fillcolor="${colour.fill}", color="${colour.stroke}"${style}];`,
    )
  }
  for (const edge of edges) {
    const attributes = [
      edge.rule === undefined ? undefined : `label=${dotString(edge.rule)}`,
      edge.dashed ? 'style=dashed' : undefined,
      edge.data ? 'style=bold, color="#1565c0"' : undefined,
    ].filter(Boolean)
    out.push(`  ${dotString(edge.from)} -> ${dotString(edge.to)}${attributes.length > 0 ? ` [${attributes.join(', ')}]` : ''};`)
  }
  out.push('}')
  return `${out.join('\n')}\n`
}

/** A double-quoted DOT string; `\n` becomes DOT's centred line break. */
function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`
}
