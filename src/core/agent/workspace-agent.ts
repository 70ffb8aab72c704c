import {basename} from 'node:path'
import {recordAgentCall} from '../dag/agent-calls.js'
import {agentReservationPath} from '../dag/agent-reservations.js'
import {agentAttemptReserveUsd, agentBudgetCheck} from '../dag/budget.js'
import type {Workspace} from '../state/workspace.js'
import {workerNameFrom} from '../validation.js'
import type {Telemetry} from '../telemetry/telemetry.js'
import {type AgentAnswer, askAgentRecorded, costLineMalformed, DEFAULT_AGENT_TIMEOUT_MS} from './run-agent.js'

/**
 * The name an agent's calls are recorded under: `agent:<program>`, a worker name
 * (it goes into `Rigor-Worker:` and `designed_by`) whatever the program's file is
 * called (`/opt/my agent` is `agent:my_agent`).
 */
export const agentName = (command: readonly string[]): string => workerNameFrom(basename(command[0]!), 'agent:')

/**
 * One paid call of rigor.yaml's `agent:` for design or assess: the budget asked
 * before every attempt (with its reservation), the call recorded with what it
 * cost, and a span when telemetry is on. The one way the engine pays an agent.
 */
export function askWorkspaceAgent(
  ws: Workspace,
  agent: {command: string[]; timeout?: number},
  call: {
    kind: 'design' | 'assess'
    prompt: string
    node?: string
    onRetry?: (attempt: number, why: string) => void
    signal?: AbortSignal
    telemetry?: Telemetry
  },
): Promise<AgentAnswer> {
  const name = agentName(agent.command)
  // the budget's reservation for this call, committed before each attempt and removed by the call's record
  const reservation = agentReservationPath(call.kind)
  return askAgentRecorded(
    {
      command: agent.command,
      prompt: call.prompt,
      cwd: ws.root,
      timeoutMs: agent.timeout,
      onRetry: call.onRetry,
      beforeAttempt: agentBudgetCheck(ws, {
        kind: call.kind,
        agent: name,
        file: reservation,
        timeoutMs: agent.timeout ?? DEFAULT_AGENT_TIMEOUT_MS,
      }),
      heldPerAttemptUsd: agentAttemptReserveUsd(ws.config),
      signal: call.signal,
    },
    (o) => {
      // a line the agent meant as its cost and got wrong would otherwise be counted at the reservation, call after call, unsaid
      const malformed = o.cost_unread.find(costLineMalformed)
      if (malformed)
        ws.warnOnce(
          `the agent printed a RIGOR_COST line rigor cannot read (${malformed}); print its cost on stderr as RIGOR_COST {"usd": 0.01, "tokens_in": 900, "tokens_out": 300}`,
        )
      // "counted at what the budget held" is $0 when nothing is held: the day's budget would never stop this agent
      if (o.cost_unread.length > 0 && ws.config.budget.daily_usd !== undefined && agentAttemptReserveUsd(ws.config) === 0)
        ws.warnOnce(
          `the agent reported no cost rigor could read (${o.cost_unread[0]!.replace(/^attempt \d+: /, '')}) and budget: holds $0 for an agent call, so the call counts $0 against budget.daily_usd; set budget.reserve_per_agent_call_usd in rigor.yaml to the most one call costs`,
        )
      return recordAgentCall(ws, {kind: call.kind, agent: name, ...(call.node ? {node: call.node} : {}), ...o}, reservation)
    },
    {kind: call.kind, telemetry: call.telemetry},
  )
}
