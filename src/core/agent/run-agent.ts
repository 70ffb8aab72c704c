import {basename} from 'node:path'
import {runConfiguredCommand} from '../configured-command.js'
import {CheckFailedError, EXIT, NothingToDoError, RigorError} from '../errors.js'
import {type Cost, ReportedCost} from '../schemas/index.js'
import {ATTR, noTelemetry, type Telemetry} from '../telemetry/telemetry.js'

/**
 * An agent reports what a call cost on a stderr line: `RIGOR_COST {"usd": 0.01, "tokens_in": 900, "tokens_out": 300}`;
 * an agent that makes several model calls may print one line for each.
 */
const COST_LINES = /^RIGOR_COST\b(.*)$/gm

/**
 * What one attempt counts against the budget: the costs its RIGOR_COST lines
 * report, added up, or, when it reported none rigor can read (no line, not JSON,
 * a negative or absurd figure), `heldUsd`, what the budget held for the attempt
 * before it ran (plus what its readable lines reported). An agent that says
 * nothing of its price is counted at the most it was allowed to cost, never at
 * zero: the day's budget must hold for agents that do not know the protocol
 * (`claude --print` prints no such line).
 */
export function attemptCost(stderr: string, heldUsd: number): {cost: Cost; unread?: string} {
  const held = `counted as the $${heldUsd.toFixed(4)} the budget held`
  const lines = [...stderr.matchAll(COST_LINES)].map((m) => m[1]!)
  if (lines.length === 0) return {cost: {usd: heldUsd, tokens_in: 0, tokens_out: 0}, unread: `${NO_COST_LINE}: ${held}`}
  const cost = {usd: 0, tokens_in: 0, tokens_out: 0}
  let unread: string | undefined
  for (const line of lines) {
    const read = readCostLine(line)
    if ('problem' in read) {
      unread ??= read.problem
      continue
    }
    cost.usd += read.cost.usd
    cost.tokens_in = addTokens(cost.tokens_in, read.cost.tokens_in)
    cost.tokens_out = addTokens(cost.tokens_out, read.cost.tokens_out)
  }
  if (unread === undefined) return {cost}
  const others = cost.usd > 0 ? ` (plus the $${cost.usd.toFixed(4)} its other RIGOR_COST lines reported)` : ''
  return {cost: {...cost, usd: heldUsd + cost.usd}, unread: `${unread}: ${held}${others}`}
}

/**
 * Token counts added up, held at the largest whole number a record can keep: a RIGOR_COST line may say up to 10^15,
 * and ten of them made a sum the call's record refused as not an integer, and a record that cannot be read counts
 * nothing against the budget, its dollars included.
 */
const addTokens = (a: number | undefined, b: number | undefined): number => Math.min(Number.MAX_SAFE_INTEGER, (a ?? 0) + (b ?? 0))

const NO_COST_LINE = 'no RIGOR_COST line on stderr'

/**
 * Whether a `cost_unread` entry is of a RIGOR_COST line the agent printed and got wrong (not JSON, a negative
 * figure), rather than of an agent that prints none (`claude --print`): the first is a mistake its author can fix.
 */
export const costLineMalformed = (unread: string): boolean => !unread.replace(/^attempt \d+: /, '').startsWith(NO_COST_LINE)

function readCostLine(line: string): {cost: Cost} | {problem: string} {
  // `RIGOR_COST: {...}` or `RIGOR_COST={...}` is meant as the cost and read as none: said so, not passed over
  if (!line.startsWith(' ')) return {problem: 'RIGOR_COST is not followed by a space and the JSON'}
  let reported: unknown
  try {
    reported = JSON.parse(line)
  } catch {
    return {problem: 'RIGOR_COST line is not JSON'}
  }
  const parsed = ReportedCost.safeParse(reported)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const field = issue.path.length > 0 ? issue.path.join('.') : 'the line'
    return {problem: `RIGOR_COST ${field}: ${issue.message}`}
  }
  return {cost: {usd: parsed.data.usd, tokens_in: parsed.data.tokens_in ?? 0, tokens_out: parsed.data.tokens_out ?? 0}}
}

/** What a call has spent so far: every attempt's cost added up, and why an attempt's cost could not be read. */
export interface CallSpend {
  attempts: number
  /** why each failed attempt failed, in order */
  failures: string[]
  cost: Cost
  /** one line per attempt whose RIGOR_COST rigor could not read (counted at what the budget held for it) */
  costUnread: string[]
}

export interface AgentAnswer extends CallSpend {
  text: string
}

export interface AgentCall {
  command: string[]
  prompt: string
  cwd: string
  timeoutMs?: number
  attempts?: number
  /** first backoff; doubled after each failure */
  backoffMs?: number
  onRetry?: (attempt: number, why: string) => void
  /**
   * Asked before every attempt with what the call has cost so far: throws (a
   * NothingToDoError, e.g. budget_exhausted) to stop before paying for another one.
   */
  beforeAttempt?: (spentSoFarUsd: number) => Promise<void>
  /** what the budget holds for one attempt: what an attempt counts when the agent reports no readable cost (default 0) */
  heldPerAttemptUsd?: number
  /** aborted: the agent is stopped and the call ends with an AgentCancelledError (a cancelled cycle) */
  signal?: AbortSignal
}

/** How long one attempt of the agent may take when rigor.yaml's `agent.timeout` says nothing. */
export const DEFAULT_AGENT_TIMEOUT_MS = 300_000

/**
 * Runs the configured agent command (argv, no shell) with the prompt on stdin,
 * e.g. `claude --print`. A failure (non-zero exit, timeout, empty answer) is
 * retried with exponential backoff; the costs of every attempt are added up.
 */
export async function askAgent(call: AgentCall): Promise<AgentAnswer> {
  const attempts = call.attempts ?? 3
  const spend: CallSpend = {attempts: 0, failures: [], cost: {usd: 0, tokens_in: 0, tokens_out: 0}, costUnread: []}
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (call.signal?.aborted) throw new AgentCancelledError(spend)
    try {
      await call.beforeAttempt?.(spend.cost.usd)
    } catch (err) {
      if (err instanceof NothingToDoError) throw new AgentStoppedError(err, spend)
      throw err
    }
    // what the agent starts (a tool server, a subagent) is stopped with it (configured-command.ts)
    const result = await runConfiguredCommand({
      argv: call.command,
      input: call.prompt,
      cwd: call.cwd,
      timeoutMs: call.timeoutMs ?? DEFAULT_AGENT_TIMEOUT_MS,
      signal: call.signal,
    })
    spend.attempts = attempt
    // an attempt that never started paid nothing
    if (!result.spawnError) {
      const counted = attemptCost(result.stderr, call.heldPerAttemptUsd ?? 0)
      spend.cost.usd += counted.cost.usd
      spend.cost.tokens_in = addTokens(spend.cost.tokens_in, counted.cost.tokens_in)
      spend.cost.tokens_out = addTokens(spend.cost.tokens_out, counted.cost.tokens_out)
      if (counted.unread) spend.costUnread.push(`attempt ${attempt}: ${counted.unread}`)
    }
    if (result.canceled) throw new AgentCancelledError(spend)
    const text = result.stdout.trim()
    const why = result.spawnError
      ? `could not start: ${result.spawnError}`
      : result.timedOut
        ? 'timed out'
        : result.exitCode !== 0
          ? `exited with ${result.exitCode === null ? `signal ${result.signal}` : `code ${result.exitCode}`}${saidLast(result.stderr)}`
          : result.truncated
            ? 'answered more than 16 MiB'
            : text === ''
              ? 'gave an empty answer'
              : undefined
    if (!why) return {text, ...spend}
    spend.failures.push(why)
    // a program that is not there, or not executable, will not be there in a second: rigor.yaml names the wrong one
    if (result.spawnError && PROGRAM_MISSING.test(result.spawnError)) throw new AgentFailedError(call.command, spend, {notStarted: true})
    if (attempt < attempts) {
      call.onRetry?.(attempt, why)
      await new Promise((r) => setTimeout(r, (call.backoffMs ?? 200) * 2 ** (attempt - 1)))
    }
  }
  throw new AgentFailedError(call.command, spend)
}

/**
 * The last line the agent said on stderr before it failed, as `: <line>` ('' when it said nothing): never a RIGOR_COST
 * line, which an agent may print last, and which says what the attempt cost, not why it failed.
 */
function saidLast(stderr: string): string {
  const line = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('RIGOR_COST '))
    .pop()
  if (line === undefined) return ''
  // the line goes into the call's committed record, once per attempt, and into the error: a 5 MB line of stderr is cut
  return line.length > FAILURE_LINE_MAX ? `: ${line.slice(0, FAILURE_LINE_MAX)}... (cut: ${line.length} characters)` : `: ${line}`
}

/** The most of an agent's last stderr line a failure keeps (characters). */
const FAILURE_LINE_MAX = 500

/** What a call stopped by SIGINT or SIGTERM leaves: its cost is recorded (reports/agent-calls/), its answer is not used. */
export const STOPPED_AGENT = 'the agent and what it started were stopped; nothing came of the call but the record of what it cost'

/** Why a spawn fails for a program that is not on PATH, not a file, or not executable: no retry can help. */
const PROGRAM_MISSING = /\b(ENOENT|EACCES|ENOTDIR)\b/

/**
 * Every attempt failed; what they cost still counts against the budget. A
 * program that could not be started at all (`notStarted`) is rigor.yaml's
 * mistake: exit 2, and the field to correct.
 */
export class AgentFailedError extends RigorError {
  constructor(
    command: string[],
    readonly spend: CallSpend,
    opts: {notStarted?: boolean} = {},
  ) {
    super(
      opts.notStarted
        ? `rigor.yaml, field "agent.command[0]": the agent ${command[0]} could not be started: ${spend.failures.at(-1)!.replace(/^could not start: /, '')}`
        : `the agent ${command.join(' ')} failed ${spend.attempts} times: ${spend.failures.join('; ')}`,
      opts.notStarted
        ? {
            exitCode: EXIT.usage,
            fix: 'name a program that exists and is executable: a path, or a name on the PATH rigor runs with (a cron job or a systemd unit has a shorter one than your shell)',
          }
        : {exitCode: EXIT.failure, fix: 'check agent.command in rigor.yaml (it reads the prompt on stdin and answers on stdout)'},
    )
  }
}

/** What a finished call is recorded with (reports/agent-calls/): its cost, attempts, why they failed, and how long it took. */
export interface AgentCallOutcome {
  cost: Cost
  attempts: number
  failures: string[]
  /** attempts whose cost could not be read, each counted at what the budget held for it */
  cost_unread: string[]
  duration_s: number
}

/**
 * Asks the agent and records the call (cost, attempts, duration) whether it
 * succeeds or not; the call is a span (`agent call <kind>`) under `trace.telemetry`.
 */
export function askAgentRecorded(
  call: AgentCall,
  record: (outcome: AgentCallOutcome) => Promise<unknown>,
  trace: {kind: 'design' | 'assess'; telemetry?: Telemetry},
): Promise<AgentAnswer> {
  const attributes = {[ATTR.agentKind]: trace.kind, [ATTR.agent]: basename(call.command[0] ?? '')}
  return (trace.telemetry ?? noTelemetry).span(`agent call ${trace.kind}`, attributes, async (span) => {
    const started = performance.now()
    const finish = async (outcome: 'ok' | 'failed' | 'stopped', o: CallSpend) => {
      // nothing was paid for when the budget stopped the first attempt: no record, no measurement
      if (o.attempts === 0) return
      const duration_s = Math.round(performance.now() - started) / 1000
      const tokens = {tokens_in: o.cost.tokens_in ?? 0, tokens_out: o.cost.tokens_out ?? 0}
      span.set({
        [ATTR.attempts]: o.attempts,
        [ATTR.costUsd]: o.cost.usd,
        [ATTR.tokensIn]: tokens.tokens_in,
        [ATTR.tokensOut]: tokens.tokens_out,
      })
      span.measure({kind: 'agent_call', agent_kind: trace.kind, outcome, attempts: o.attempts, duration_s, cost_usd: o.cost.usd, ...tokens})
      await record({cost: o.cost, attempts: o.attempts, failures: o.failures, cost_unread: o.costUnread, duration_s})
    }
    try {
      const answer = await askAgent(call)
      await finish('ok', answer)
      return answer
    } catch (err) {
      // failed, or stopped before an attempt: what the attempts made cost still counts
      const spend = spendOfFailedCall(err)
      if (spend) await finish(err instanceof AgentFailedError ? 'failed' : 'stopped', spend)
      throw err
    }
  })
}

/** What an agent call that ended in an error had spent (its attempts still count), or undefined for any other error. */
export function spendOfFailedCall(err: unknown): CallSpend | undefined {
  return err instanceof AgentFailedError || err instanceof AgentStoppedError || err instanceof AgentCancelledError ? err.spend : undefined
}

/**
 * The first fenced ```yaml (or ```yml, ```json) block of an answer, else its first
 * untagged fenced block, else the whole answer. Fences open at the start of a line:
 * read from anywhere, the closing fence of a ```python block before the spec opened
 * a "block" of the prose between the two.
 */
export function extractBlock(answer: string): string {
  const blocks = [...answer.matchAll(/^[ \t]*```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n([\s\S]*?)^[ \t]*```/gm)].map((m) => ({
    language: m[1]!.toLowerCase(),
    body: m[2]!,
  }))
  const block = blocks.find((b) => ['yaml', 'yml', 'json'].includes(b.language)) ?? blocks.find((b) => b.language === '')
  return (block ? block.body : answer).trim()
}

/** The call stopped before another attempt (the budget is spent): exit 3 with the reason, like a claim. */
export class AgentStoppedError extends NothingToDoError {
  constructor(
    cause: NothingToDoError,
    readonly spend: CallSpend,
  ) {
    super(cause.message, cause.reason)
  }
}

/** The call was stopped by its abort signal (a cancelled or interrupted cycle); what it cost so far still counts. */
export class AgentCancelledError extends CheckFailedError {
  constructor(readonly spend: CallSpend) {
    super('the agent call was stopped: the command was cancelled or interrupted')
  }
}
