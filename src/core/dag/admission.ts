import {buildConditionContext, conditionField, configConditions, type NodeFacts} from '../state/conditions.js'
import type {AdmissionPolicy} from './scheduler.js'
import {runningByTeam} from './claim-order.js'
import type {Snapshot} from '../state/store.js'
import type {Workspace} from '../state/workspace.js'

/**
 * Who may start now, for one state of the DAG: every claim asks one of these.
 * Built from parts (teams, budget) by the composition root (flows/policies.ts)
 * and handed to the claim explicitly, so no caller can forget a part.
 */
export type AdmissionPolicyFactory = (ws: Workspace, snap: Snapshot) => Promise<AdmissionPolicy>
export type PolicyPart = (ws: Workspace, snap: Snapshot) => Promise<Partial<AdmissionPolicy>>

/** A policy that admits what every part admits; the first part that blocks or refuses says why. */
export function combinePolicies(...parts: PolicyPart[]): AdmissionPolicyFactory {
  return async (ws, snap) => {
    const made = await Promise.all(parts.map((part) => part(ws, snap)))
    return {
      admit(node, s) {
        for (const p of made) {
          const refusal = p.admit?.(node, s)
          if (refusal) return refusal
        }
        return undefined
      },
      globalBlock(s) {
        for (const p of made) {
          const block = p.globalBlock?.(s)
          if (block) return block
        }
        return undefined
      },
    }
  }
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
export async function teamAdmission(ws: Workspace, snap: Snapshot): Promise<Partial<AdmissionPolicy>> {
  const teams = ws.config.teams
  const waiting = new Map<string, string>()
  const needsFacts = teams.some((t) => t.waits_for)
  const facts = needsFacts ? await dagFacts(ws, snap) : []
  for (const [i, team] of teams.entries()) {
    if (!team.waits_for) continue
    const condition = configConditions(ws.config, ws.configFile).get(conditionField.waitsFor(i))!
    const ctx = buildConditionContext({node: {id: team.name, team: team.name, status: 'pending'}, nodes: facts})
    const result = condition.tryEvaluate(ctx)
    if (result.error) waiting.set(team.name, `team ${team.name} waits_for could not be evaluated: ${result.error.message}`)
    else if (!result.value) waiting.set(team.name, `team ${team.name} waits for: ${team.waits_for}`)
  }
  const running = ws.store.derive(runningByTeam, snap)
  const maxParallel = new Map(teams.filter((t) => t.max_parallel).map((t) => [t.name, t.max_parallel!]))
  return {
    admit(node) {
      const wait = waiting.get(node.team)
      if (wait) return wait
      const max = maxParallel.get(node.team)
      if (max !== undefined && (running.get(node.team) ?? 0) >= max) return `team ${node.team} runs ${max} node(s) already (max_parallel)`
      return undefined
    },
  }
}
