/**
 * CEL conditions from rigor.yaml (team `waits_for`, gate `reject_when`/`accept_when`,
 * rule `when`), parsed and evaluated by @marcbachmann/cel-js, never by `eval`.
 *
 * Decisions (README material):
 * - Load time: every condition is parsed and type-checked when rigor.yaml is loaded.
 *   The variables are declared (no undeclared names), and `node` / `nodes[]` have a
 *   fixed field list, so a syntax error, a typo such as `metric.sharpe` or `node.dept`,
 *   `metrics.sharpe > "a"` or a non-boolean condition is an InputError naming the
 *   file, the field (`rules[1].when`) and the line/column.
 * - Numbers: metrics and params are CEL doubles (JSON has one number type); the node
 *   counters depth, attempt and generation are CEL ints. CEL itself refuses
 *   `2 * metrics.x` and `metrics.trades == 10` (int with double), which nobody writing
 *   a gate expects, so the environment adds the mixed int/double overloads of
 *   + - * / % == != (comparisons < <= > >= across int/double are standard CEL).
 *   `%` also works on doubles, so `params.seed % 2 == 0` reads naturally.
 * - Missing keys: `metrics.x` when the runner did not report `x` is an evaluation
 *   error (ConditionError with code `no_such_key`), not `false`: a silently false
 *   `reject_when` would let a strategy through because its runner forgot a metric.
 *   The caller records the error (a gate result `error`, a rule that does not fire).
 *   Optional metrics are written `has(metrics.x) && metrics.x > 1` or
 *   `metrics.?x.orValue(0.0) > 1.0`. Errors inside `||` / `&&` are absorbed the CEL
 *   way when the other side decides the result.
 * - `parent` is null for a node without a lineage parent (`parent != null && ...`).
 */
import {Environment, EvaluationError, ParseError, TypeError as CelTypeError} from '@marcbachmann/cel-js'
import type {ConfigFile} from '../schemas/config.js'
import {InputError, RigorError} from '../errors.js'
import {idDepth} from './ids.js'

/** What a node looks like inside a condition (`node`, `parent`, each of `nodes`). */
export interface ConditionNode {
  id: string
  team: string
  status: string
  depth: number
  attempt?: number
  generation?: number
  params: Record<string, unknown>
  metrics: Record<string, number>
}

export interface ConditionContext {
  /** metrics of the verdict being judged ({} for a node without one) */
  metrics: Record<string, number>
  params: Record<string, unknown>
  /** the status being judged: the verdict's status for gates and rules */
  status: string
  node: {id: string; team: string; depth: number; attempt: number; generation: number}
  parent: (ConditionContext['node'] & {status: string; metrics: Record<string, number>; params: Record<string, unknown>}) | null
  /** every node of the DAG; what team `waits_for` conditions look at */
  nodes: Array<{
    id: string
    team: string
    status: string
    depth: number
    params: Record<string, unknown>
    metrics: Record<string, number>
    attempt?: number
    generation?: number
  }>
}

/** A condition that could not be evaluated, or did not give true/false. Callers record it. */
export class ConditionError extends RigorError {
  /** cel-js error code (`no_such_key`, `no_such_overload`, ...) or `not_boolean` */
  readonly code: string
  readonly condition: string
  readonly file: string
  readonly field: string
  constructor(where: ConditionWhere, source: string, code: string, detail: string, cause?: unknown) {
    super(`${where.file}, field "${where.field}": condition \`${oneLine(source)}\` failed: ${detail}`, {
      fix:
        code === 'no_such_key'
          ? 'guard what may be missing: has(metrics.x) && metrics.x > 1, parent != null && parent.status == "..."'
          : undefined,
      cause,
    })
    this.code = code
    this.condition = source
    this.file = where.file
    this.field = where.field
  }
}

export interface ConditionWhere {
  file: string
  /** the field path, e.g. `rules[1].when` */
  field: string
  /** what owns the condition, for messages, e.g. `rule "tighter-reg"` */
  label?: string
  /**
   * false for a gate's or rule's condition: it judges one run and is handed no DAG, so
   * `nodes` there would be an empty list and `!nodes.exists(...)` silently true
   */
  nodes?: boolean
}

export interface CompiledCondition {
  readonly source: string
  readonly file: string
  readonly field: string
  /** true or false, or a ConditionError */
  evaluate(ctx: ConditionContext): boolean
  /** evaluate without throwing: what callers that record errors want */
  tryEvaluate(ctx: ConditionContext): {value: boolean; error?: undefined} | {value?: undefined; error: ConditionError}
}

const CEL_SPEC = 'https://github.com/google/cel-spec/blob/master/doc/langdef.md'
const RUN_VARIABLES =
  'metrics, params, status, node (id, team, status, depth, attempt, generation, params, metrics), parent (the same, or null)'
const CONDITION_VARIABLES = `${RUN_VARIABLES} and nodes (a list of the same)`

export function compileCondition(source: string, where: ConditionWhere): CompiledCondition {
  const prefix = where.label ? `${where.label}: ` : ''
  const withNodes = where.nodes !== false
  const variables = withNodes ? CONDITION_VARIABLES : RUN_VARIABLES
  const invalid = (detail: string, cause?: unknown) =>
    new InputError(`${prefix}${detail}`, {
      file: where.file,
      field: where.field,
      fix: `write a CEL expression that gives true or false over ${variables} (${CEL_SPEC})${withNodes ? '' : "; the DAG (`nodes`) is seen only by a team's waits_for"}`,
      cause,
    })

  if (source.trim() === '') throw invalid('the condition is empty')
  let program: ReturnType<Environment['parse']>
  try {
    program = celEnvironment(withNodes).parse(source)
  } catch (error) {
    throw invalid(`invalid condition${describeCelError(error, source)}`, error)
  }
  // the parser bounds nesting by brackets; a long chain of operators (1+1+...+1) is as deep, and walking it can run out of stack
  const tooDeep = (error: unknown) =>
    error instanceof RangeError
      ? invalid(
          `the condition is too long a chain of operators to check (${source.length} characters); split it, or compare fewer terms`,
          error,
        )
      : error
  let shape: ReturnType<typeof costShape>
  try {
    shape = costShape(program.ast)
  } catch (error) {
    throw tooDeep(error)
  }
  if (shape.depth > MAX_COMPREHENSION_DEPTH) {
    throw invalid(
      `the condition nests ${shape.depth} comprehensions (exists, all, map, filter); at most ${MAX_COMPREHENSION_DEPTH} are allowed, because each one multiplies the work by the size of the DAG`,
    )
  }
  let checked: ReturnType<typeof program.check>
  try {
    checked = program.check()
  } catch (error) {
    throw tooDeep(error)
  }
  if (!checked.valid) throw invalid(`invalid condition${describeCelError(checked.error, source)}`, checked.error)
  // `dyn` (e.g. `params.flag`) can only be checked when evaluated
  if (checked.type !== 'bool' && checked.type !== 'dyn') {
    throw invalid(`the condition \`${oneLine(source)}\` gives a ${checked.type}, not true/false; compare it, e.g. \`... > 0\``)
  }

  const evaluate = (ctx: ConditionContext): boolean => {
    const size = largestCollection(ctx)
    const cost = shape.astNodes * size ** shape.depth
    if (cost > MAX_EVALUATION_COST) {
      throw new ConditionError(
        where,
        source,
        'cost_limit',
        `evaluating it over collections of ${size} items would take about ${cost.toExponential(1)} steps, more than the limit of ${MAX_EVALUATION_COST.toExponential(0)}; nest fewer comprehensions over nodes`,
      )
    }
    let result: unknown
    try {
      result = program(toCelContext(ctx))
    } catch (error) {
      const code = error instanceof EvaluationError ? error.code : 'internal'
      const summary =
        error instanceof EvaluationError
          ? `${error.summary}${positionOf(error.range?.start, source)}`
          : String((error as Error)?.message ?? error)
      throw new ConditionError(where, source, code, summary, error)
    }
    if (typeof result !== 'boolean') {
      throw new ConditionError(where, source, 'not_boolean', `gave ${describeValue(result)} instead of true or false`)
    }
    return result
  }
  return {
    source,
    file: where.file,
    field: where.field,
    evaluate,
    tryEvaluate(ctx) {
      try {
        return {value: evaluate(ctx)}
      } catch (error) {
        if (error instanceof ConditionError) return {error}
        throw error
      }
    },
  }
}

/** Field paths of the conditions in rigor.yaml; the keys of `validateConfigConditions`' map. */
export const conditionField = {
  waitsFor: (teamIndex: number) => `teams[${teamIndex}].waits_for`,
  rejectWhen: (gateIndex: number) => `gates[${gateIndex}].reject_when`,
  acceptWhen: (gateIndex: number) => `gates[${gateIndex}].accept_when`,
  ruleWhen: (ruleIndex: number) => `rules[${ruleIndex}].when`,
}

/**
 * Compiles every condition of rigor.yaml, so a bad one fails the load (naming the
 * rule, gate or team and the position) instead of a run. Keyed by field path.
 */
export function validateConfigConditions(
  config: Pick<ConfigFile, 'teams' | 'gates' | 'rules'>,
  file: string,
): Map<string, CompiledCondition> {
  const compiled = new Map<string, CompiledCondition>()
  const add = (source: string | undefined, field: string, label: string, nodes = true) => {
    if (source !== undefined) compiled.set(field, compileCondition(source, {file, field, label, nodes}))
  }
  config.teams.forEach((team, i) => add(team.waits_for, conditionField.waitsFor(i), `team "${team.name}"`))
  // a gate or rule judges one run: it is handed no DAG, so `nodes` is refused there rather than an empty list
  config.gates.forEach((gate, i) => {
    add(gate.reject_when, conditionField.rejectWhen(i), `gate "${gate.name}"`, false)
    add(gate.accept_when, conditionField.acceptWhen(i), `gate "${gate.name}"`, false)
  })
  config.rules.forEach((rule, i) => add(rule.when, conditionField.ruleWhen(i), `rule "${rule.name}"`, false))
  return compiled
}

const compiledByConfig = new WeakMap<object, Map<string, CompiledCondition>>()

/**
 * Every condition of a config, compiled once per config object. Only the
 * commands that evaluate conditions load this module (and cel-js with it):
 * building cel-js's environment is a good part of a small command's start-up.
 */
export function configConditions(config: Pick<ConfigFile, 'teams' | 'gates' | 'rules'>, file: string): Map<string, CompiledCondition> {
  let compiled = compiledByConfig.get(config)
  if (!compiled) {
    compiled = validateConfigConditions(config, file)
    compiledByConfig.set(config, compiled)
  }
  return compiled
}

/** The facts of a node a condition may see; a NodeFile plus its verdict's metrics fits. */
export interface NodeFacts {
  id: string
  team: string
  status: string
  params?: Record<string, unknown>
  attempt?: number
  generation?: number
  metrics?: Record<string, number>
}

export function conditionNode(node: NodeFacts): ConditionNode {
  return {
    id: node.id,
    team: node.team,
    status: node.status,
    depth: idDepth(node.id),
    attempt: node.attempt ?? 0,
    generation: node.generation ?? 0,
    params: node.params ?? {},
    metrics: node.metrics ?? {},
  }
}

/**
 * The context for one node. `status` and `metrics` default to the node's own; a gate or
 * rule passes the verdict's. `nodes` is the whole DAG, for team conditions.
 */
export function buildConditionContext(input: {
  node: NodeFacts
  status?: string
  metrics?: Record<string, number>
  parent?: NodeFacts | null
  nodes?: NodeFacts[]
}): ConditionContext {
  const self = conditionNode(input.node)
  const parent = input.parent ? conditionNode(input.parent) : null
  return {
    metrics: input.metrics ?? self.metrics,
    params: self.params,
    status: input.status ?? self.status,
    node: {id: self.id, team: self.team, depth: self.depth, attempt: self.attempt ?? 0, generation: self.generation ?? 0},
    parent: parent && {...parent, attempt: parent.attempt ?? 0, generation: parent.generation ?? 0},
    nodes: (input.nodes ?? []).map(conditionNode),
  }
}

// ---------------------------------------------------------------------------
// cost: cel-js has structural limits but no evaluation budget, and it runs
// synchronously, so a condition is bounded before it runs: its cost is at most
// (AST size) x (largest collection)^(comprehension nesting)

const MAX_COMPREHENSION_DEPTH = 2
const MAX_EVALUATION_COST = 2e7
const COMPREHENSIONS = new Set(['exists', 'all', 'exists_one', 'map', 'filter'])

interface CostShape {
  astNodes: number
  depth: number
}

interface CelAst {
  op: string
  args: unknown
}

function costShape(ast: unknown): CostShape {
  let astNodes = 0
  const depthOf = (node: unknown): number => {
    if (Array.isArray(node)) return Math.max(0, ...node.map(depthOf))
    if (!node || typeof node !== 'object' || !('op' in node)) return 0
    astNodes++
    const {op, args} = node as CelAst
    // a comprehension runs its body once per item of its range; a chained range runs once before it
    if (op === 'rcall' && Array.isArray(args) && COMPREHENSIONS.has(args[0] as string))
      return Math.max(depthOf(args[1]), 1 + depthOf(args[2]))
    return depthOf(args)
  }
  const depth = depthOf(ast)
  return {astNodes, depth}
}

/** The size of the largest list a condition can iterate over: the DAG, or a list in the params. */
function largestCollection(ctx: ConditionContext): number {
  let largest = Math.max(1, ctx.nodes?.length ?? 0)
  const scan = (value: unknown, depth: number) => {
    if (depth > 3 || !value || typeof value !== 'object') return
    const items = Array.isArray(value) ? value : Object.values(value)
    largest = Math.max(largest, items.length)
    for (const item of items) scan(item, depth + 1)
  }
  scan(ctx.params, 0)
  scan(ctx.parent?.params, 0)
  return largest
}

// ---------------------------------------------------------------------------
// the CEL environment

// one with `nodes` (team waits_for), one without (gates, rules); building one is the expensive part
const environments = new Map<boolean, Environment>()

/** Built once each: creating a cel-js Environment is the expensive part. */
function celEnvironment(withNodes: boolean): Environment {
  const built = environments.get(withNodes)
  if (built) return built
  linearRegexpFallback()
  const env = new Environment({enableOptionalTypes: true, homogeneousAggregateLiterals: false})
  registerMixedNumberOperators(env)
  env.registerType('RigorNode', {
    fields: {
      id: 'string',
      team: 'string',
      status: 'string',
      depth: 'int',
      attempt: 'int',
      generation: 'int',
      params: 'map<string, dyn>',
      metrics: 'map<string, double>',
    },
  })
  env
    .registerVariable('metrics', 'map<string, double>')
    .registerVariable('params', 'map<string, dyn>')
    .registerVariable('status', 'string')
    .registerVariable('node', 'RigorNode')
    // a custom type cannot be null in cel-js, and a root node has no parent
    .registerVariable('parent', 'dyn')
  if (withNodes) env.registerVariable('nodes', 'list<RigorNode>')
  environments.set(withNodes, env)
  return env
}

/**
 * cel-js runs `matches` with JavaScript's backtracking RegExp, where CEL means RE2, which runs in linear time: a
 * pattern such as `^(a+)+$` against 40 letters of a param held a worker for hours (inside the verdict's commit), and
 * `rigor rules check` with it. V8 moves a regexp that backtracks excessively to its linear-time engine instead;
 * RE2 has no backreferences or lookarounds either, and the linear engine cannot run those (they keep backtracking).
 * The CLI sets the flag before its bundle is compiled (bin/run.js), as V8's code cache must be made under the flags
 * it is read with; set here too for rigor used as a library.
 */
function linearRegexpFallback(): void {
  process.getBuiltinModule('node:v8').setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks')
}

function registerMixedNumberOperators(env: Environment): void {
  const arithmetic: Record<string, (a: number, b: number) => number> = {
    '+': (a, b) => a + b,
    '-': (a, b) => a - b,
    '*': (a, b) => a * b,
    '/': (a, b) => a / b,
  }
  for (const [op, apply] of Object.entries(arithmetic)) {
    env.registerOperator(`int ${op} double: double`, (a: bigint, b: number) => apply(Number(a), b))
    env.registerOperator(`double ${op} int: double`, (a: number, b: bigint) => apply(a, Number(b)))
  }
  const remainder = (a: number, b: number) => {
    if (b === 0) throw new Error('modulo by zero')
    return a % b
  }
  env.registerOperator('double % double: double', remainder)
  env.registerOperator('int % double: double', (a: bigint, b: number) => remainder(Number(a), b))
  env.registerOperator('double % int: double', (a: number, b: bigint) => remainder(a, Number(b)))
  // also registers !=, and int == double the other way round
  env.registerOperator('double == int', (a: number, b: bigint) => a === Number(b))
}

// ---------------------------------------------------------------------------
// values into CEL

/** Rigor's counters are CEL ints (bigint); everything else numeric is a double. */
function toCelContext(ctx: ConditionContext): Record<string, unknown> {
  return {
    metrics: celMetrics(ctx.metrics),
    params: celParams(ctx.params),
    status: String(ctx.status),
    node: celNode({...ctx.node, status: ctx.status, params: ctx.params, metrics: ctx.metrics}),
    parent: ctx.parent ? celNode(ctx.parent) : null,
    nodes: (ctx.nodes ?? []).map(celNode),
  }
}

function celNode(node: Partial<ConditionNode>): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: String(node.id ?? ''),
    team: String(node.team ?? ''),
    status: String(node.status ?? ''),
    depth: celInt(node.depth),
    params: celParams(node.params ?? {}),
    metrics: celMetrics(node.metrics ?? {}),
  }
  // absent counters stay absent, so `has(n.attempt)` tells the truth
  if (node.attempt !== undefined) out.attempt = celInt(node.attempt)
  if (node.generation !== undefined) out.generation = celInt(node.generation)
  return out
}

function celInt(value: unknown): bigint {
  const n = Number(value)
  return Number.isFinite(n) ? BigInt(Math.trunc(n)) : 0n
}

/**
 * A Map, not an object: cel-js tells a value's type by its `constructor`, so a
 * metric a runner named "constructor" made every condition on the object fail
 * (a gate that should reject ended the run inconclusive instead).
 */
function celMetrics(metrics: Record<string, unknown>): Map<string, number> {
  const out = new Map<string, number>()
  for (const [key, value] of Object.entries(metrics ?? {})) {
    if (typeof value === 'number') out.set(key, value)
    else if (typeof value === 'bigint') out.set(key, Number(value))
  }
  return out
}

function celParams(params: Record<string, unknown>): Map<string, unknown> {
  const value = celValue(params ?? {}, new Set())
  return value instanceof Map ? value : new Map()
}

/** JSON-like values as CEL sees them: numbers as doubles, no undefined, no cycles; a mapping as a Map (see celMetrics: a key named "constructor"). */
function celValue(value: unknown, seen: Set<object>): unknown {
  switch (typeof value) {
    case 'number':
    case 'string':
    case 'boolean':
      return value
    case 'bigint':
      return Number(value)
    case 'undefined':
      return null
    case 'object': {
      if (value === null) return null
      if (value instanceof Date) return value.toISOString()
      if (seen.has(value)) return null
      seen.add(value)
      try {
        if (Array.isArray(value)) return value.map((item) => celValue(item, seen))
        const out = new Map<string, unknown>()
        for (const [key, item] of Object.entries(value)) if (item !== undefined) out.set(key, celValue(item, seen))
        return out
      } finally {
        seen.delete(value)
      }
    }
    default:
      return String(value)
  }
}

// ---------------------------------------------------------------------------
// messages

function describeCelError(error: unknown, source: string): string {
  if (error instanceof ParseError || error instanceof CelTypeError || error instanceof EvaluationError) {
    const start = error.range?.start ?? error.node?.start
    return `${positionOf(start, source)}: ${error.summary}${caret(source, start)}`
  }
  // e.g. a RangeError from an absurdly nested expression
  return `: ${(error as Error)?.message ?? String(error)}`
}

/** ` at line L, column C` (1-based) for an offset into the source. */
function positionOf(offset: number | undefined, source: string): string {
  if (offset === undefined || offset < 0) return ''
  const before = source.slice(0, offset).split('\n')
  return ` at line ${before.length}, column ${before[before.length - 1].length + 1}`
}

function caret(source: string, offset: number | undefined): string {
  if (offset === undefined || offset < 0) return ''
  const lineStart = source.lastIndexOf('\n', offset - 1) + 1
  const lineEnd = source.indexOf('\n', offset)
  const line = source.slice(lineStart, lineEnd === -1 ? undefined : lineEnd)
  return `\n    ${line}\n    ${' '.repeat(offset - lineStart)}^`
}

function oneLine(source: string): string {
  return source.replace(/\s+/g, ' ').trim()
}

function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'bigint') return `the int ${value}`
  if (typeof value === 'number') return `the double ${value}`
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`
  if (Array.isArray(value)) return 'a list'
  return `a ${typeof value}`
}
