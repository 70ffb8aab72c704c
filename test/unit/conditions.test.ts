import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {
  buildConditionContext,
  compileCondition,
  ConditionError,
  conditionField,
  validateConfigConditions,
  type ConditionContext,
} from '../../src/core/state/conditions.js'
import {InputError} from '../../src/core/errors.js'
import {ConfigFile} from '../../src/core/schemas/config.js'

const where = {file: 'rigor.yaml', field: 'rules[0].when'}

function context(overrides: Partial<ConditionContext> = {}): ConditionContext {
  return {
    ...buildConditionContext({
      node: {
        id: 'arch/hidden/lower-25',
        team: 'arch',
        status: 'running',
        attempt: 1,
        generation: 0,
        params: {lower: 25, alpha: 0.5, kind: 'rsi', flag: true, periods: [5, 10]},
      },
      status: 'proven_rejected',
      metrics: {sharpe: 0.5, trades: 10, sharpe_mean: 1, sharpe_std: 3, win_rate: 0.5, max_drawdown: 0.2},
      parent: {id: 'arch/hidden', team: 'arch', status: 'proven_accepted', metrics: {sharpe: 1.2}, params: {period: 14}},
      nodes: [
        {id: 'arch', team: 'arch', status: 'proven_accepted', metrics: {sharpe: 1}},
        {id: 'universe/a', team: 'universe', status: 'pending'},
      ],
    }),
    ...overrides,
  }
}

const evaluate = (source: string, ctx: ConditionContext = context()) => compileCondition(source, where).evaluate(ctx)

describe('compileCondition: load-time errors', () => {
  it('names the file, the field and the position of a syntax error', () => {
    const error = captureInputError(() =>
      compileCondition('metrics.sharpe >', {file: 'rigor.yaml', field: 'rules[1].when', label: 'rule "tighter-reg"'}),
    )
    expect(error.file).toBe('rigor.yaml')
    expect(error.field).toBe('rules[1].when')
    expect(error.exitCode).toBe(2)
    expect(error.message).toContain('rigor.yaml, field "rules[1].when"')
    expect(error.message).toContain('rule "tighter-reg"')
    expect(error.message).toMatch(/line 1, column 17/)
    expect(error.fix).toMatch(/CEL/)
  })

  it('counts lines and columns in a multi-line condition', () => {
    const error = captureInputError(() => compileCondition('metrics.sharpe > 1 &&\n  metrics.trades > ) 3', where))
    expect(error.message).toMatch(/line 2, column 20/)
    expect(error.message).toContain('metrics.trades > ) 3\n')
  })

  it('rejects unknown variables and unknown node fields (typos) at load time', () => {
    expect(captureInputError(() => compileCondition('metric.sharpe > 1.0', where)).message).toMatch(/Unknown variable: metric/)
    expect(captureInputError(() => compileCondition('node.dept > 1', where)).message).toMatch(
      /invalid condition at line 1, column 6: No such key: dept/,
    )
    expect(captureInputError(() => compileCondition('nodes.exists(n, n.tem == "arch")', where)).message).toMatch(/tem/)
  })

  it('rejects type errors and conditions that are not boolean', () => {
    expect(captureInputError(() => compileCondition('metrics.sharpe > "a"', where)).message).toMatch(/no such overload/)
    expect(captureInputError(() => compileCondition('metrics.sharpe * 2.0', where)).message).toMatch(/gives a double, not true\/false/)
    expect(captureInputError(() => compileCondition('status', where)).message).toMatch(/gives a string/)
    expect(captureInputError(() => compileCondition('   ', where)).message).toMatch(/empty/)
  })

  it('turns parser crashes on absurd input into an InputError too', () => {
    expect(() => compileCondition('('.repeat(400) + '1' + ')'.repeat(400), where)).toThrow(InputError)
  })

  it('a chain of thousands of operators (as deep as thousands of brackets) is an InputError, not a stack overflow', () => {
    for (const terms of [5000, 20_000]) {
      const error = captureInputError(() => compileCondition(`${Array(terms).fill('1').join(' + ')} > 0`, where))
      expect(error.message).toContain('rigor.yaml, field "rules[0].when": the condition is too long a chain of operators to check')
    }
    // a long but ordinary condition is fine
    expect(evaluate(Array(50).fill('metrics.sharpe > 0.1').join(' && '))).toBe(true)
  })
})

describe('evaluate: numbers mix', () => {
  it.each([
    ['metrics.trades > 5', true],
    ['metrics.sharpe >= 0.3', true],
    ['metrics.trades == 10', true],
    ['10 == metrics.trades', true],
    ['metrics.trades != 10', false],
    ['metrics.sharpe_std > 2.0 * metrics.sharpe_mean', true],
    ['metrics.sharpe_std > 2 * metrics.sharpe_mean', true],
    ['metrics.sharpe_mean * 2 + 1 == 3', true],
    ['metrics.sharpe_std / 3 - 1 == 0', true],
    ['params.lower + 5 == 30', true],
    ['params.lower % 2 == 1', true],
    ['params.alpha * 2 == 1', true],
    ['node.depth == 3', true],
    ['node.depth == 3.0', true],
    ['node.depth * 0.5 == 1.5', true],
    ['node.attempt >= 1 && node.generation == 0', true],
    ['size(nodes) < node.depth', true],
  ])('%s -> %s', (source, expected) => {
    expect(evaluate(source)).toBe(expected)
  })

  it('divides doubles by zero the IEEE way and refuses an integer or modulo by zero', () => {
    expect(evaluate('metrics.sharpe / 0 > 1000.0')).toBe(true)
    expect(() => evaluate('1 / 0 == 1')).toThrow(ConditionError)
    expect(() => evaluate('params.lower % 0 == 1')).toThrow(ConditionError)
  })
})

describe('evaluate: the context', () => {
  it.each([
    ['status == "proven_rejected"', true],
    ['node.status == status', true],
    ['node.id == "arch/hidden/lower-25" && node.team == "arch"', true],
    ['params.kind == "rsi" && params.flag', true],
    ['5 in params.periods', true],
    ['parent != null && parent.status == "proven_accepted" && parent.metrics.sharpe > metrics.sharpe', true],
    ['parent.params.period == 14 && parent.depth == 2', true],
    ["nodes.exists(n, n.team == 'arch' && n.status == 'proven_accepted')", true],
    ["nodes.all(n, n.team == 'arch')", false],
    ["nodes.filter(n, n.team == 'universe').size() == 1", true],
    ['nodes.exists(n, has(n.metrics.sharpe) && n.metrics.sharpe >= 1.0)', true],
    ['node.metrics.sharpe == metrics.sharpe', true],
  ])('%s -> %s', (source, expected) => {
    expect(evaluate(source)).toBe(expected)
  })

  it('gives parent null for a root node', () => {
    const ctx = buildConditionContext({node: {id: 'arch', team: 'arch', status: 'pending'}})
    expect(evaluate('parent == null', ctx)).toBe(true)
    expect(evaluate('parent != null && parent.status == "x"', ctx)).toBe(false)
    expect(ctx.node).toEqual({id: 'arch', team: 'arch', depth: 1, attempt: 0, generation: 0})
    expect(ctx.metrics).toEqual({})
  })

  it('leaves counters out of nodes entries that lack them', () => {
    const ctx = context({nodes: [{id: 'a', team: 'x', status: 'pending', depth: 1, params: {}, metrics: {}}]})
    expect(evaluate('nodes.exists(n, has(n.attempt))', ctx)).toBe(false)
  })
})

describe('evaluate: missing keys and runtime errors', () => {
  it('lets has() test for a metric', () => {
    expect(evaluate('has(metrics.sharpe)')).toBe(true)
    expect(evaluate('has(metrics.sortino)')).toBe(false)
    expect(evaluate('has(metrics.sortino) && metrics.sortino > 1')).toBe(false)
    expect(evaluate('metrics.?sortino.orValue(0.0) > 1.0')).toBe(false)
  })

  it('reports a comparison on a missing metric as a ConditionError naming the condition', () => {
    const condition = compileCondition('metrics.sortino > 1', where)
    const error = captureConditionError(() => condition.evaluate(context()))
    expect(error.code).toBe('no_such_key')
    expect(error.message).toContain('rigor.yaml, field "rules[0].when"')
    expect(error.message).toContain('`metrics.sortino > 1`')
    expect(error.message).toMatch(/sortino.*line 1, column 9/)
    expect(error.fix).toMatch(/has\(metrics\.x\)/)
    expect(error.condition).toBe('metrics.sortino > 1')
    expect(error.field).toBe('rules[0].when')
  })

  it('absorbs an error when the other side of || or && decides (CEL semantics)', () => {
    expect(evaluate('metrics.sortino > 1 || metrics.sharpe > 0.1')).toBe(true)
    expect(evaluate('metrics.sharpe > 10.0 && metrics.sortino > 1')).toBe(false)
  })

  it('refuses a dyn condition that turns out not to be boolean', () => {
    const error = captureConditionError(() => evaluate('params.kind'))
    expect(error.code).toBe('not_boolean')
    expect(error.message).toMatch(/the string "rsi" instead of true or false/)
  })

  it('tryEvaluate returns errors instead of throwing', () => {
    const condition = compileCondition('metrics.sortino > 1', where)
    const outcome = condition.tryEvaluate(context())
    expect(outcome.value).toBeUndefined()
    expect(outcome.error).toBeInstanceOf(ConditionError)
    expect(compileCondition('metrics.sharpe > 0.1', where).tryEvaluate(context())).toEqual({value: true})
  })

  it('judges metrics named like JavaScript object members (a runner names its metrics) as any other', () => {
    const metrics = {sharpe: -1, constructor: 5, toString: 1}
    const gate = compileCondition('has(metrics.sharpe) && metrics.sharpe < 0.0', where)
    expect(gate.evaluate(context({metrics}))).toBe(true)
    expect(compileCondition('metrics.constructor == 5.0', where).evaluate(context({metrics}))).toBe(true)
    expect(compileCondition('nodes.exists(n, has(n.metrics.valueOf))', where).evaluate(context({metrics}))).toBe(false)
    expect(compileCondition('has(metrics.hasOwnProperty)', where).evaluate(context({metrics}))).toBe(false)
  })

  it('judges params named like JavaScript object members (a designer or a rule names them), nested ones too, as any other', () => {
    const params = {constructor: 3, toString: 'x', inner: {constructor: 1, valueOf: [1, 2]}, lower: 25}
    const node = {...context().node, params}
    expect(compileCondition('params.lower == 25.0 && params.constructor == 3.0', where).evaluate(context({params, node}))).toBe(true)
    expect(
      compileCondition('params.inner.constructor == 1.0 && size(params.inner.valueOf) == 2', where).evaluate(context({params, node})),
    ).toBe(true)
    expect(compileCondition('has(params.hasOwnProperty)', where).evaluate(context({params, node}))).toBe(false)
    expect(compileCondition('node.params.toString == "x"', where).evaluate(context({params, node}))).toBe(true)
  })

  it('compiles once and evaluates against many contexts', () => {
    const gate = compileCondition('metrics.sharpe >= 0.3', where)
    expect(gate.evaluate(context({metrics: {sharpe: 0.31}}))).toBe(true)
    expect(gate.evaluate(context({metrics: {sharpe: 0.29}}))).toBe(false)
    expect(gate.source).toBe('metrics.sharpe >= 0.3')
  })

  it('copes with odd values in params: undefined, nested objects, bigint, dates, cycles', () => {
    const cyclic: Record<string, unknown> = {name: 'c'}
    cyclic.self = cyclic
    const ctx = context({params: {gone: undefined, nested: {a: [1, {b: 2}]}, big: 3n, when: new Date('2024-01-02T00:00:00Z'), cyclic}})
    expect(evaluate('!has(params.gone) && params.nested.a[1].b == 2 && params.big == 3', ctx)).toBe(true)
    expect(evaluate('params.when.startsWith("2024-01-02") && params.cyclic.self == null', ctx)).toBe(true)
  })
})

describe('validateConfigConditions', () => {
  const config = ConfigFile.parse({
    version: 1,
    teams: [{name: 'arch'}, {name: 'universe', waits_for: "nodes.exists(n, n.team == 'arch' && n.status == 'proven_accepted')"}],
    gates: [
      {
        name: 'backtest',
        reject_when: 'metrics.win_rate < 0.45 || metrics.max_drawdown > 0.40 || metrics.sharpe < -0.5',
        accept_when: 'metrics.sharpe >= 0.3',
      },
    ],
    rules: [
      {
        name: 'tighter-regularisation',
        on: ['proven_rejected'],
        when: 'metrics.sharpe_std > 2.0 * metrics.sharpe_mean',
        spawn: [{as: 'sibling', name: 'tighter-reg', params: {dropout: 0.3}}],
      },
      {name: 'always', on: ['proven_accepted'], spawn: [{name: 'next'}]},
    ],
  })

  it("compiles the spec's example conditions, keyed by field path", () => {
    const compiled = validateConfigConditions(config, 'rigor.yaml')
    expect([...compiled.keys()].sort()).toEqual(['gates[0].accept_when', 'gates[0].reject_when', 'rules[0].when', 'teams[1].waits_for'])
    expect(compiled.get(conditionField.ruleWhen(0))!.evaluate(context())).toBe(true)
    expect(compiled.get(conditionField.rejectWhen(0))!.evaluate(context())).toBe(false)
    expect(compiled.get(conditionField.acceptWhen(0))!.evaluate(context())).toBe(true)
    expect(compiled.get(conditionField.waitsFor(1))!.evaluate(context())).toBe(true)
  })

  it('fails the load naming the rule, the field and the position', () => {
    const broken = {...config, rules: [config.rules[1], {...config.rules[0], name: 'bad-rule', when: 'metrics.sharpe_std > 2.0 *'}]}
    const error = captureInputError(() => validateConfigConditions(broken, 'rigor.yaml'))
    expect(error.field).toBe('rules[1].when')
    expect(error.message).toContain('rule "bad-rule"')
    expect(error.message).toMatch(/line 1, column 27/)
  })

  it('names gates and teams too', () => {
    const badGate = {...config, gates: [{name: 'backtest', accept_when: 'metrics.sharpe >= '}]}
    expect(captureInputError(() => validateConfigConditions(badGate, 'x.yaml')).message).toMatch(
      /x\.yaml, field "gates\[0\]\.accept_when": gate "backtest"/,
    )
    const badTeam = {...config, teams: [{name: 'universe', waits_for: 'nodes.exists(n, n.team = "arch")'}]}
    expect(captureInputError(() => validateConfigConditions(badTeam, 'x.yaml')).message).toMatch(
      /field "teams\[0\]\.waits_for": team "universe"/,
    )
  })
})

describe('properties', () => {
  const conditions = [
    'metrics.sharpe > 0.3',
    'metrics.trades > 5 && metrics.sharpe >= 0.3',
    'metrics.sharpe_std > 2 * metrics.sharpe_mean',
    'has(metrics.sharpe) && metrics.sharpe / metrics.trades < 1',
    'params.alpha * 2 == 1 || params.name == "x"',
    'params.n % 3 == 0',
    'parent != null && parent.metrics.sharpe < metrics.sharpe',
    "nodes.exists(n, n.team == 'arch' && n.status == 'proven_accepted')",
    'nodes.all(n, n.depth <= node.depth + 1)',
    'params.flag',
    'status == "proven_rejected" && node.attempt < 3',
  ]
  const numbers = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, -0, Infinity, -Infinity, Number.NaN))
  const metrics = fc.dictionary(fc.constantFrom('sharpe', 'trades', 'sharpe_std', 'sharpe_mean', 'other'), numbers)
  const params = fc.dictionary(
    fc.constantFrom('alpha', 'name', 'n', 'flag', 'list'),
    fc.oneof(fc.jsonValue(), numbers, fc.constant(undefined)),
  )
  const node = fc.record({
    id: fc.constantFrom('a', 'a/b', 'a/b/c'),
    team: fc.constantFrom('arch', 'universe'),
    status: fc.constantFrom('pending', 'proven_accepted', 'proven_rejected'),
    attempt: fc.option(fc.nat(5), {nil: undefined}),
    generation: fc.option(fc.nat(5), {nil: undefined}),
    params,
    metrics,
  })
  const contexts = fc
    .record({node, status: fc.string(), metrics, parent: fc.option(node, {nil: null}), nodes: fc.array(node, {maxLength: 5})})
    .map((input) => buildConditionContext(input))

  it('evaluation gives a boolean or throws a ConditionError, nothing else', () => {
    const compiled = conditions.map((source) => compileCondition(source, where))
    fc.assert(
      fc.property(fc.constantFrom(...compiled), contexts, (condition, ctx) => {
        try {
          expect(typeof condition.evaluate(ctx)).toBe('boolean')
        } catch (error) {
          expect(error).toBeInstanceOf(ConditionError)
        }
      }),
      {numRuns: 500},
    )
  })

  it('compiling arbitrary text gives a condition or an InputError, nothing else', () => {
    const fragments = fc.constantFrom(
      'metrics.sharpe',
      '>',
      '<',
      '==',
      '&&',
      '||',
      '(',
      ')',
      '1',
      '2.5',
      '"x"',
      'params.a',
      'has(',
      '!',
      '.',
      ',',
      'nodes.exists(n,',
      'n.team',
      '?',
      ':',
      '[',
      ']',
    )
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(fragments, {maxLength: 12}).map((parts) => parts.join(' ')),
        ),
        (source) => {
          try {
            const condition = compileCondition(source, where)
            try {
              expect(typeof condition.evaluate(context())).toBe('boolean')
            } catch (error) {
              expect(error).toBeInstanceOf(ConditionError)
            }
          } catch (error) {
            if (error instanceof ConditionError) return
            expect(error).toBeInstanceOf(InputError)
          }
        },
      ),
      {numRuns: 500},
    )
  })
})

function captureInputError(fn: () => unknown): InputError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(InputError)
    return error as InputError
  }
  throw new Error('expected an InputError')
}

function captureConditionError(fn: () => unknown): ConditionError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(ConditionError)
    return error as ConditionError
  }
  throw new Error('expected a ConditionError')
}
