import * as z from 'zod'
import {
  argvWordProblem,
  envNameProblem,
  envValueProblem,
  lowerNameProblem,
  nodeIdProblem,
  nonFiniteParam,
  parseDuration,
  zonedTimeMillis,
} from '../validation.js'
import {NODE_STATUSES} from './statuses.js'

export {NODE_STATUSES}
export const NodeStatus = z.enum(NODE_STATUSES)
export type NodeStatus = z.infer<typeof NodeStatus>
export const FINAL_STATUSES: readonly NodeStatus[] = ['proven_accepted', 'proven_rejected', 'inconclusive', 'blocked', 'cancelled']

// `check` rather than `superRefine`: superRefine gives each payload an `addIssue` of its own, a shape zod's other
// checks then see too, and a cold status validates 10,000 node files (first pass 0.91x, paired, docs/benchmarks.md)
export const NodeId = z.string().check((ctx) => {
  const problem = nodeIdProblem(ctx.value)
  if (problem) ctx.issues.push({code: 'custom', message: problem, input: ctx.value})
})

/**
 * `family:` names the set of trials that competed for one selection (the DSR
 * and PBO family); spelled like a node id (`trend/momentum`).
 */
export const FamilyName = z.string().check((ctx) => {
  const problem = nodeIdProblem(ctx.value)
  if (problem) ctx.issues.push({code: 'custom', message: problem.replace(/node id/g, 'family name'), input: ctx.value})
})
/** A team a seed spec names: a lowercase word like rigor.yaml's team names (a line break could not reach a table or a message) */
export const TeamName = z.string().check((ctx) => {
  const problem = lowerNameProblem('team', ctx.value)
  if (problem) ctx.issues.push({code: 'custom', message: problem, input: ctx.value})
})
/** `trials_outside:` trials made outside rigor (a notebook, an earlier search) that DSR's N must count */
export const TrialsOutside = z.number().int().nonnegative().max(1_000_000_000)

export const Checksum = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 hex digits>')
/** A time rigor wrote (toISOString): an ISO 8601 date-time with its zone, on the calendar */
export const IsoTime = z
  .string()
  .refine((s) => !Number.isNaN(zonedTimeMillis(s)), 'must be an ISO 8601 date-time with its zone, such as 2025-03-01T17:00:00.000Z')

/**
 * A value written as a number or a string (sizes, durations). Anything else, a list
 * or YAML's infinity from `1e400`, is refused in `problemOf`'s words: zod's own for a
 * union is only "Invalid input".
 */
export const numberOrText = (problemOf: (value: unknown) => string | undefined) =>
  z.union([z.number(), z.string()], {error: (issue) => problemOf(issue.input)})

const durationProblem = (value: unknown) => {
  const parsed = parseDuration(value)
  return parsed.ok ? undefined : parsed.problem
}

/** A duration as seconds or an `ms` string such as "90s", "10m", "1h"; parsed to milliseconds. */
export const Duration = numberOrText(durationProblem).transform((value, ctx) => {
  const parsed = parseDuration(value)
  if (!parsed.ok) {
    ctx.addIssue({code: 'custom', message: parsed.problem})
    return z.NEVER
  }
  return parsed.value
})

/** A duration kept as written (node files store what the spec said), checked like Duration. */
export const DurationText = numberOrText(durationProblem).superRefine((value, ctx) => {
  const parsed = parseDuration(value)
  if (!parsed.ok) ctx.addIssue({code: 'custom', message: parsed.problem})
})

export const ParamValue = z.union([z.string(), z.number(), z.boolean(), z.null()])
/** a node's params: any JSON value by name (a YAML .nan or .inf is refused, at its path: no node file could hold it) */
export const Params = z.record(z.string(), z.unknown()).check((ctx) => {
  const found = nonFiniteParam(ctx.value)
  if (found) ctx.issues.push({code: 'custom', message: found.problem, input: ctx.value, path: found.path})
})

/** auto: the bwrap sandbox where it starts (otherwise none, with a warning); on: the sandbox or no run; off: none */
export const SandboxMode = z.enum(['auto', 'on', 'off'])
export type SandboxMode = z.infer<typeof SandboxMode>

/** YAML reads an unquoted 30 or true as a number or a boolean: `[sleep, 30]` holds a word to quote, said so. */
const unquotedProblem = (what: string) => (issue: {input: unknown}) => {
  const input = issue.input
  const kind = typeof input === 'number' ? 'a number' : typeof input === 'boolean' ? 'a boolean' : undefined
  if (kind === undefined) return undefined
  return `YAML read ${String(input)} as ${kind}; ${what} is a string: quote it ("${String(input)}")`
}

/** One word of a command rigor starts (the program or an argument): not empty, no NUL byte. */
export const ArgvWord = z
  .string({error: unquotedProblem('a word of a command')})
  .min(1)
  .check((ctx) => {
    const problem = argvWordProblem(ctx.value)
    if (problem) ctx.issues.push({code: 'custom', message: problem, input: ctx.value})
  })

/** A command rigor starts: argv only, never a shell string; every word checked (ArgvWord). */
export const Argv = z.array(ArgvWord).min(1, 'needs at least the program to run')

/** Environment variables added for a process rigor starts: names without "=" or NUL, values without NUL. */
export const EnvVars = z.record(z.string(), z.string({error: unquotedProblem('an environment value')})).check((ctx) => {
  for (const [name, value] of Object.entries(ctx.value)) {
    const problem = envNameProblem(name) ?? envValueProblem(value)
    if (problem) ctx.issues.push({code: 'custom', message: problem, input: ctx.value, path: name === '' ? [] : [name]})
  }
})

/** Where a runner's command comes from: argv only, never a shell string. */
export const RunSpec = z.strictObject({
  command: Argv,
  timeout: DurationText.optional(),
  env: EnvVars.optional(),
  /** overrides rigor.yaml's runner.sandbox for this node */
  sandbox: SandboxMode.optional(),
  /** overrides rigor.yaml's runner.network: whether the sandboxed runner may use the network */
  network: z.boolean().optional(),
})
export type RunSpec = z.infer<typeof RunSpec>

export const Cost = z.strictObject({
  usd: z.number().nonnegative().default(0),
  tokens_in: z.number().int().nonnegative().optional(),
  tokens_out: z.number().int().nonnegative().optional(),
})
export type Cost = z.infer<typeof Cost>

/**
 * What a runner or an agent may say one run or one call cost: at most a billion
 * dollars and a quadrillion tokens, so that no sum of them (the day's budget, the
 * counters of `rigor metrics`) becomes infinite and stays so for good, as two runs
 * reporting 1e308 made it.
 */
export const MAX_REPORTED_COST_USD = 1_000_000_000
const MAX_REPORTED_TOKENS = 1e15
const reportedTokens = z.number().int().nonnegative().max(MAX_REPORTED_TOKENS, `must be at most ${MAX_REPORTED_TOKENS}`).optional()
export const ReportedCost = z.strictObject({
  usd: z.number().nonnegative().max(MAX_REPORTED_COST_USD, `must be at most ${MAX_REPORTED_COST_USD} (dollars)`).default(0),
  tokens_in: reportedTokens,
  tokens_out: reportedTokens,
})
