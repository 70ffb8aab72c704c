/**
 * What rigor tells an observer while it works: spans (a cycle, its steps, the
 * node runs, the agent calls, the audits) and measurements. The flows take a
 * `Telemetry` as an argument; `noTelemetry` does nothing and costs nothing. The
 * OpenTelemetry implementation (otel.ts) is imported only when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set (src/cli/telemetry.ts decides), so a
 * command without it loads none of the SDK.
 */

export type AttributeValue = string | number | boolean
/** undefined values are left out, so callers can pass optional facts as they are */
export type Attributes = Record<string, AttributeValue | undefined>

/** One fact for the metrics, with the labels it is counted by. */
export type Measurement =
  | {kind: 'node_run'; team: string; status: string; duration_s: number; cost_usd?: number}
  | {
      kind: 'agent_call'
      agent_kind: string
      outcome: 'ok' | 'failed' | 'stopped'
      attempts: number
      duration_s: number
      cost_usd: number
      tokens_in: number
      tokens_out: number
    }
  | {kind: 'audit'; verdict: 'PASS' | 'FAIL'}
  | {kind: 'cycle_step'; step: string; outcome: 'ok' | 'failed'; duration_s: number}

/** A place in the trace: spans started from it are its children. */
export interface Telemetry {
  /**
   * Runs `fn` in a new span, a child of this one (a root span at the top). The
   * span ends when `fn` settles; a throw marks it failed with the error's message.
   */
  span<T>(name: string, attributes: Attributes, fn: (span: Telemetry) => Promise<T>): Promise<T>
  /** Sets attributes on this scope's span (nothing at the top, where there is no span). */
  set(attributes: Attributes): void
  measure(measurement: Measurement): void
}

/** A telemetry that has somewhere to send what it collected: flushed once, when the command ends. */
export interface TelemetrySession extends Telemetry {
  /** Ends spans still open (marked failed with `interrupted`, when given), sends everything, and stops. */
  shutdown(interrupted?: string): Promise<void>
}

/** The telemetry of a command run without OTEL_EXPORTER_OTLP_ENDPOINT: nothing is recorded. */
export const noTelemetry: TelemetrySession = {
  span: (_name, _attributes, fn) => fn(noTelemetry),
  set: () => {},
  measure: () => {},
  shutdown: async () => {},
}

/** The attribute names rigor's spans carry (one list, so the docs and the test name the same ones). */
export const ATTR = {
  nodeId: 'rigor.node.id',
  team: 'rigor.node.team',
  status: 'rigor.node.status',
  attempt: 'rigor.node.attempt',
  costUsd: 'rigor.cost_usd',
  durationS: 'rigor.duration_s',
  worker: 'rigor.worker',
  step: 'rigor.cycle.step',
  cycleId: 'rigor.cycle.id',
  agentKind: 'rigor.agent.kind',
  agent: 'rigor.agent.command',
  attempts: 'rigor.agent.attempts',
  tokensIn: 'rigor.agent.tokens_in',
  tokensOut: 'rigor.agent.tokens_out',
  auditor: 'rigor.audit.auditor',
  verdict: 'rigor.audit.verdict',
  command: 'rigor.command',
} as const
