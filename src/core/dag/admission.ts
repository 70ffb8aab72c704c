import {buildConditionContext, conditionField, type NodeFacts} from './conditions.js'
import type {AdmissionPolicy} from './scheduler.js'
import type {Snapshot} from '../state/store.js'
import type {Workspace} from '../state/workspace.js'

/** Extra admission checks beyond teams (the budget), supplied by later layers. */
export type PolicyExtension = (ws: Workspace, snap: Snapshot) => Promise<Partial<AdmissionPolicy>>
const extensions: PolicyExtension[] = []
export function registerPolicyExtension(ext: PolicyExtension): void {
  extensions.push(ext)
}

/** Every node with its verdict's metrics: what team conditions see as `nodes`. */
export async function dagFacts(ws: Workspace, snap: Snapshot): Promise<NodeFacts[]> {
  const facts: NodeFacts[] = []
  for (const record of snap.nodes.values()) {
    if (!record.node || record.node.sweep) continue
    const verdict = record.verdictOid ? await ws.store.verdict(record).catch(() => undefined) : undefined
    facts.push({...record.node, metrics: verdict?.metrics ?? {}})
  }
  return facts
}

/**
 * Who may start now, for one state of the DAG: a team's `waits_for` must hold
 * (evaluated once per team and state: it is a condition on the DAG, not on a
 * node) and its running nodes must be fewer than `max_parallel`.
 */
export async function admissionPolicy(ws: Workspace, snap: Snapshot): Promise<AdmissionPolicy> {
  const teams = ws.config.teams
  const waiting = new Map<string, string>()
  const needsFacts = teams.some((t) => t.waits_for)
  const facts = needsFacts ? await dagFacts(ws, snap) : []
  for (const [i, team] of teams.entries()) {
    if (!team.waits_for) continue
    const condition = ws.conditions.get(conditionField.waitsFor(i))!
    const ctx = buildConditionContext({node: {id: team.name, team: team.name, status: 'pending'}, nodes: facts})
    const result = condition.tryEvaluate(ctx)
    if (result.error) waiting.set(team.name, `team ${team.name} waits_for could not be evaluated: ${result.error.message}`)
    else if (!result.value) waiting.set(team.name, `team ${team.name} waits for: ${team.waits_for}`)
  }
  const running = new Map<string, number>()
  for (const record of snap.nodes.values()) {
    if (record.node?.status === 'running') running.set(record.node.team, (running.get(record.node.team) ?? 0) + 1)
  }
  const maxParallel = new Map(teams.filter((t) => t.max_parallel).map((t) => [t.name, t.max_parallel!]))
  const extra = await Promise.all(extensions.map((ext) => ext(ws, snap)))
  return {
    admit(node, s) {
      const wait = waiting.get(node.team)
      if (wait) return wait
      const max = maxParallel.get(node.team)
      if (max !== undefined && (running.get(node.team) ?? 0) >= max) return `team ${node.team} runs ${max} node(s) already (max_parallel)`
      for (const e of extra) {
        const refusal = e.admit?.(node, s)
        if (refusal) return refusal
      }
      return undefined
    },
    globalBlock(s) {
      for (const e of extra) {
        const block = e.globalBlock?.(s)
        if (block) return block
      }
      return undefined
    },
  }
}
