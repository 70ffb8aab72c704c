import canonicalizeModule from 'canonicalize'
import {sha256} from '../state/checksum.js'
import {buildConditionContext, conditionField, configConditions} from '../state/conditions.js'
import type {FileChange} from '../git/tree-edit.js'
import {nodeIdProblem, parentId} from '../state/ids.js'
import {nowIso, renderNode} from '../state/node-files.js'
import {nodeFilePath} from '../state/layout.js'
import {NON_FIRING_STATUSES, type NodeFile, type NodeStatus} from '../schemas/index.js'
import type {Snapshot} from '../state/store.js'
import type {Workspace} from '../state/workspace.js'
import {inputSources} from './inputs.js'
import {byCodeUnits} from './scheduler.js'

const canonicalize = canonicalizeModule as unknown as (value: unknown) => string | undefined

export interface SpawnDecision {
  rule: string
  from: string
  id: string
  /** why the spawn was skipped; undefined when it is (or would be) created */
  skipped?: string
}

export interface SpawnPlan {
  files: Map<string, FileChange>
  spawned: string[]
  nodes: NodeFile[]
  decisions: SpawnDecision[]
}

/** What makes two nodes the same experiment: the command, the params and the data. */
export function nodeFingerprint(node: Pick<NodeFile, 'run' | 'params' | 'data' | 'inputs'>): string {
  // inputs only when declared, so that the fingerprints of nodes without them stay what they were
  const inputs = node.inputs?.length ? {inputs: node.inputs.map((i) => ({from: i.from, files: i.files, as: i.as}))} : {}
  return sha256(canonicalize({command: node.run.command, params: node.params ?? {}, data: node.data ?? null, ...inputs}) ?? '')
}

// fingerprints by node blob id (a blob never changes); bounded: a long-lived worker must not grow it without end
const fingerprintCache = new Map<string, string>()
const FINGERPRINT_CACHE_LIMIT = 50_000

function dagFingerprints(snap: Snapshot): Map<string, string> {
  const byFingerprint = new Map<string, string>()
  for (const record of snap.nodes.values()) {
    if (!record.node || record.node.sweep) continue
    let fp = fingerprintCache.get(record.nodeOid)
    if (!fp) {
      fp = nodeFingerprint(record.node)
      if (fingerprintCache.size >= FINGERPRINT_CACHE_LIMIT) fingerprintCache.clear()
      fingerprintCache.set(record.nodeOid, fp)
    }
    byFingerprint.set(fp, record.id)
  }
  return byFingerprint
}

/**
 * The nodes the backward rules spawn from one verdict, with every guard applied:
 * no firing on inconclusive/blocked/cancelled, at most `max_generations` rule
 * spawns in a lineage, no node whose fingerprint exists anywhere in the DAG,
 * and ids that are deterministic so that firing twice adds nothing.
 */
export async function planSpawns(
  ws: Workspace,
  snap: Snapshot,
  node: NodeFile,
  status: NodeStatus,
  metrics: Record<string, number>,
): Promise<SpawnPlan> {
  const plan: SpawnPlan = {files: new Map(), spawned: [], nodes: [], decisions: []}
  if (ws.config.rules.length === 0) return plan
  const fingerprints = dagFingerprints(snap)
  const parentRecord = node.parent ? snap.nodes.get(node.parent) : undefined
  const parentVerdict = parentRecord ? await ws.store.verdict(parentRecord).catch(() => undefined) : undefined
  const ctx = buildConditionContext({
    node,
    status,
    metrics,
    parent: parentRecord?.node ? {...parentRecord.node, metrics: parentVerdict?.metrics ?? {}} : null,
  })
  const createdAt = nowIso()
  ws.config.rules.forEach((rule, ruleIndex) => {
    if (!rule.on.includes(status)) return
    if (rule.teams && !rule.teams.includes(node.team)) return
    const targets = rule.spawn.map((spawn) => ({spawn, id: spawnId(node.id, spawn.as, spawn.name)}))
    const skipAll = (why: string) => targets.forEach((t) => plan.decisions.push({rule: rule.name, from: node.id, id: t.id, skipped: why}))
    if (NON_FIRING_STATUSES.has(status)) return skipAll(`rules never fire on ${status} verdicts`)
    const when = configConditions(ws.config, ws.configFile).get(conditionField.ruleWhen(ruleIndex))
    if (when) {
      const result = when.tryEvaluate(ctx)
      if (result.error) return skipAll(`condition could not be evaluated: ${result.error.message}`)
      if (!result.value) return skipAll(`when is false: ${rule.when}`)
    }
    const generation = node.generation + 1
    for (const {spawn, id} of targets) {
      const decide = (skipped?: string) => plan.decisions.push({rule: rule.name, from: node.id, id, skipped})
      if (generation > ws.config.max_generations) {
        decide(`would be rule generation ${generation}, past max_generations ${ws.config.max_generations}`)
        continue
      }
      const problem = nodeIdProblem(id)
      if (problem) {
        decide(`invalid id: ${problem}`)
        continue
      }
      if (snap.nodes.has(id) || plan.files.has(nodeFilePath(id))) {
        decide(`node ${id} exists already`)
        continue
      }
      const draft = {
        id,
        team: spawn.team ?? node.team,
        status: 'pending' as const,
        run: spawn.run ?? node.run,
        params: {...node.params, ...spawn.params},
        data: node.data,
        // a spawn competes in the family its source declared (the default family follows from parent and data)
        family: node.family,
        trials_outside: node.trials_outside,
        // a variant waits for what its source waited for (a rerun upstream), and reads the same upstream files
        requires: [...new Set([...(node.requires ?? []), ...inputSources(node.inputs)])],
        ...(node.inputs ? {inputs: node.inputs} : {}),
        priority: spawn.priority ?? node.priority,
        parent: spawn.as === 'child' ? node.id : node.parent,
        generation,
        spawned_by: {rule: rule.name, from: node.id},
        created_at: createdAt,
        seq: plan.spawned.length,
        attempt: 0,
      }
      const fp = nodeFingerprint(draft)
      const twin = fingerprints.get(fp)
      if (twin) {
        decide(`same command, params and data as ${twin}`)
        continue
      }
      fingerprints.set(fp, id)
      const rendered = renderNode(draft)
      plan.files.set(nodeFilePath(id), rendered.text)
      plan.spawned.push(id)
      plan.nodes.push(rendered.node)
      decide()
    }
  })
  return plan
}

/** A child lives under its source; a sibling beside it, named after it so each source has its own. */
export function spawnId(from: string, as: 'child' | 'sibling', name: string): string {
  if (as === 'child') return `${from}/${name}`
  const parent = parentId(from)
  const last = from.slice(from.lastIndexOf('/') + 1)
  return parent ? `${parent}/${last}-${name}` : `${last}-${name}`
}

export interface RulesReport {
  decisions: SpawnDecision[]
  spawned: string[]
  commit?: string
}

/**
 * The spawns the rules make from every finished verdict in the DAG, oldest
 * first: `rigor rules check` shows them (and why each skipped one is skipped);
 * `rigor rules replay` commits them in one commit. Replaying twice adds nothing.
 */
export async function replayRules(ws: Workspace, opts: {write: boolean; by?: string}): Promise<RulesReport> {
  const outcome = await ws.commit<RulesReport>(async (snap) => {
    const planned = new Map(snap.nodes)
    const overlay: Snapshot = {...snap, nodes: planned}
    const files = new Map<string, FileChange>()
    const report: RulesReport = {decisions: [], spawned: []}
    const finished = [...snap.nodes.values()]
      .filter((r) => r.node && r.verdictOid)
      .sort((a, b) => byCodeUnits(a.node!.created_at, b.node!.created_at) || byCodeUnits(a.id, b.id))
    for (const record of finished) {
      const verdict = await ws.store.verdict(record).catch(() => undefined)
      if (!verdict) continue
      const plan = await planSpawns(ws, overlay, record.node!, verdict.status, verdict.metrics)
      report.decisions.push(...plan.decisions)
      report.spawned.push(...plan.spawned)
      for (const [path, text] of plan.files) files.set(path, text)
      for (const node of plan.nodes) planned.set(node.id, {id: node.id, nodeOid: `planned:${node.id}`, node})
    }
    if (!opts.write || files.size === 0) return {result: report}
    return {
      files,
      message: {action: 'spawn', subject: `rules replay spawned ${report.spawned.length} node(s)`, nodes: report.spawned, worker: opts.by},
      result: report,
    }
  })
  return {...outcome.result, commit: outcome.commit}
}
