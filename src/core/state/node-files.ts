import {documentChecksum, stripUndefined} from './checksum.js'
import {dumpYaml} from './documents.js'
import type {FileChange} from '../git/tree-edit.js'
import {nodeFilePath, verdictFilePath} from './layout.js'
import type * as z from 'zod'
import {InternalError} from '../errors.js'
import {NodeFile, VerdictFile, type NodeDraft, type VerdictDraft} from '../schemas/index.js'

// the order fields appear in node.yaml, so diffs read top-down: identity, state, definition, lineage
const NODE_KEY_ORDER = [
  'id',
  'team',
  'status',
  'reason',
  'archived',
  'attempt',
  'worker',
  'started_at',
  'lease_until',
  'params',
  'run',
  'data',
  'requires',
  'priority',
  'parent',
  'generation',
  'spawned_by',
  'sweep',
  'seeded_by',
  'designed_by',
  'created_at',
  'seq',
] as const

const VERDICT_KEY_ORDER = [
  'node',
  'status',
  'decided_by',
  'reason',
  'metrics',
  'gates',
  'notes',
  'cost',
  'spawned',
  'artifacts',
  'omitted',
  'truncated',
  'exit_code',
  'worker',
  'attempt',
  'seed',
  'started_at',
  'finished_at',
  'duration_s',
] as const

function ordered(doc: Record<string, unknown>, order: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of order) if (doc[key] !== undefined) out[key] = doc[key]
  for (const key of Object.keys(doc)) if (!(key in out) && key !== 'checksum' && doc[key] !== undefined) out[key] = doc[key]
  return out
}

/** A document's fields in file order, without undefined ones, with a fresh checksum of the rest. */
function checksummed(draft: object, order: readonly string[]): Record<string, unknown> {
  const {checksum: _old, ...rest} = draft as {checksum?: string}
  const body = ordered(stripUndefined(rest) as Record<string, unknown>, order)
  return {...body, checksum: documentChecksum(body)}
}

/** Validates a node and renders its node.yaml with a fresh checksum. */
export function renderNode(draft: NodeDraft | NodeFile): {node: NodeFile; text: string} {
  const doc = checksummed(draft, NODE_KEY_ORDER)
  return {node: NodeFile.parse(doc), text: dumpYaml(doc)}
}

export function renderVerdict(draft: VerdictDraft): {verdict: VerdictFile; text: string} {
  const doc = checksummed(draft, VERDICT_KEY_ORDER)
  return {verdict: VerdictFile.parse(doc), text: dumpYaml(doc)}
}

/** Fields of a node file, each typed as the file says (undefined removes a field). */
export type NodePatch = {[K in keyof NodeFile]?: NodeFile[K] | undefined}

/**
 * A node with some fields changed, as a file change. Status changes go through
 * dag/lifecycle.ts, the one owner of which transitions are allowed.
 */
export function nodeChange(node: NodeFile, patch: NodePatch): [string, FileChange, NodeFile] {
  // `node` is a validated node (read through its schema, or rendered here): only the fields the patch sets are
  // validated again, one by one (a node file has no rule across fields); a whole node's parse, its ids checked one by
  // one, was the largest part of a claim's and a verdict's rendering. As in renderNode, the file holds what was
  // given and the node returned what the schema makes of it (its defaults).
  const changed = checksummed({...node, ...patch}, NODE_KEY_ORDER)
  const text = dumpYaml(changed)
  for (const [key, value] of Object.entries(patch)) {
    const field = (NodeFile.shape as Record<string, z.ZodType>)[key]
    if (!field) throw new InternalError(`a node has no field "${key}"`)
    const parsed = field.safeParse(value)
    if (!parsed.success) throw new InternalError(`node ${node.id}: field "${key}": ${parsed.error.issues[0]?.message}`)
    if (parsed.data !== undefined) changed[key] = parsed.data
  }
  return [nodeFilePath(node.id), text, changed as NodeFile]
}

export function verdictChange(draft: VerdictDraft): [string, FileChange, VerdictFile] {
  const {verdict, text} = renderVerdict(draft)
  return [verdictFilePath(verdict.node), text, verdict]
}

export const nowIso = (date = new Date()): string => date.toISOString()
