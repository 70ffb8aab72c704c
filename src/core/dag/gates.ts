import {buildConditionContext, conditionField, type CompiledCondition, type NodeFacts} from '../state/conditions.js'
import type {ConfigFile, GateResult, NodeFile, RunnerVerdict} from '../schemas/index.js'

export interface GateDecision {
  status: 'proven_accepted' | 'proven_rejected' | 'inconclusive'
  decided_by: 'runner' | 'gate' | 'no_gate'
  gates: GateResult[]
  reason?: string
}

/**
 * The status of a finished run: the runner's own status when it gave one;
 * otherwise any gate that rejects wins, then any gate that accepts; a run no
 * gate decides is inconclusive. Every gate's result is recorded either way.
 */
export function decideStatus(input: {
  node: NodeFile
  verdict: RunnerVerdict
  config: ConfigFile
  conditions: Map<string, CompiledCondition>
  parent?: NodeFacts | null
}): GateDecision {
  const {node, verdict, config, conditions} = input
  const ctx = buildConditionContext({node, status: verdict.status ?? 'running', metrics: verdict.metrics, parent: input.parent})
  const results: GateResult[] = []
  config.gates.forEach((gate, i) => {
    if (gate.teams && !gate.teams.includes(node.team)) return
    const reject = conditions.get(conditionField.rejectWhen(i))?.tryEvaluate(ctx)
    const accept = conditions.get(conditionField.acceptWhen(i))?.tryEvaluate(ctx)
    const error = reject?.error ?? accept?.error
    if (reject?.value) results.push({name: gate.name, result: 'reject', detail: `reject_when: ${gate.reject_when}`})
    else if (error) results.push({name: gate.name, result: 'error', detail: error.message})
    else if (accept?.value) results.push({name: gate.name, result: 'accept', detail: `accept_when: ${gate.accept_when}`})
    else results.push({name: gate.name, result: 'none'})
  })
  if (verdict.status) return {status: verdict.status, decided_by: 'runner', gates: results}
  const rejecting = results.find((r) => r.result === 'reject')
  if (rejecting) return {status: 'proven_rejected', decided_by: 'gate', gates: results, reason: `gate ${rejecting.name} rejected`}
  const failing = results.find((r) => r.result === 'error')
  if (failing)
    return {
      status: 'inconclusive',
      decided_by: 'gate',
      gates: results,
      reason: `gate ${failing.name} could not be evaluated: ${failing.detail}`,
    }
  const accepting = results.find((r) => r.result === 'accept')
  if (accepting) return {status: 'proven_accepted', decided_by: 'gate', gates: results, reason: `gate ${accepting.name} accepted`}
  return {
    status: 'inconclusive',
    decided_by: 'no_gate',
    gates: results,
    reason: results.length === 0 ? 'the runner gave no status and no gate applies' : 'no gate accepted or rejected the metrics',
  }
}
