import {describe, expect, it} from 'vitest'
import {validate} from '../../src/core/state/documents.js'
import {SeedSpec} from '../../src/core/schemas/index.js'
import {parseConfig} from '../../src/core/state/config.js'

describe('rigor.yaml durations', () => {
  it('are milliseconds whether written or left to their defaults', () => {
    const defaults = parseConfig('version: 1\n', 'rigor.yaml')
    expect(defaults.lease.duration).toBe(15 * 60_000)
    expect(defaults.runner.default_timeout).toBe(3_600_000)
    const partial = parseConfig('version: 1\nlease: {max_attempts: 2}\nrunner: {}\n', 'rigor.yaml')
    expect(partial.lease.duration).toBe(15 * 60_000)
    expect(partial.runner.default_timeout).toBe(3_600_000)
    const written = parseConfig('version: 1\nlease: {duration: 2m}\nrunner: {default_timeout: 90}\n', 'rigor.yaml')
    expect(written.lease.duration).toBe(120_000)
    expect(written.runner.default_timeout).toBe(90_000)
  })
})

describe('rigor.yaml commands and environments', () => {
  const refused = (text: string) => {
    try {
      parseConfig(`version: 1\n${text}\n`, 'rigor.yaml')
    } catch (err) {
      return (err as Error).message
    }
    return 'accepted'
  }

  it('refuse a NUL byte in every command rigor starts, and in the env of the nodes rules spawn', () => {
    const rule = (run: string) => `rules: [{name: r, on: [proven_accepted], spawn: [{name: next, run: ${run}}]}]`
    expect(refused(rule('{command: ["tr\\0ue"]}'))).toContain('field "rules[0].spawn[0].run.command[0]"')
    expect(refused(rule('{command: ["true"], env: {X: "a\\0b"}}'))).toContain('field "rules[0].spawn[0].run.env.X"')
    expect(refused(rule('{command: ["true"], env: {"X=Y": "1"}}'))).toContain('contains "="')
    expect(refused('agent: {command: [claude, "-p\\0"]}')).toContain('field "agent.command[1]"')
    expect(refused('notify: {command: ["notify\\0"]}')).toContain('field "notify.command[0]"')
    expect(refused('artifact_store: {command: [store, "\\0"]}')).toContain('field "artifact_store.command[1]"')
    expect(refused('deploy: {paper: {command: ["go\\0"]}, live: {rollback_command: ["back\\0"]}}')).toContain('deploy.paper.command[0]')
    expect(refused(rule('{command: ["true"], env: {"": "1"}}'))).toContain('an environment variable needs a name')
    expect(refused(rule('{command: ["true"], env: {X: "a b=c"}}'))).toBe('accepted')
  })
})

describe('rigor.yaml holdout', () => {
  it('from: must be a day the month has; 2025-02-29 would seal from March 1st', () => {
    expect(parseConfig('version: 1\nholdout: {from: 2024-02-29}\n', 'rigor.yaml').holdout?.from).toBe('2024-02-29')
    expect(() => parseConfig('version: 1\nholdout: {from: 2025-02-29}\n', 'rigor.yaml')).toThrow(
      'rigor.yaml, field "holdout.from": must be a date such as 2024-01-01 (a day the month has)',
    )
  })
})

describe('rigor.yaml and seed spec typos', () => {
  const message = (fn: () => unknown): string => {
    try {
      fn()
    } catch (err) {
      return (err as Error).message
    }
    return 'accepted'
  }

  it('an unknown key names the closest known key of its mapping, however deep, and nothing when none is close', () => {
    const config = (text: string) => message(() => parseConfig(`version: 1\n${text}\n`, 'rigor.yaml'))
    expect(config('leas: {duration: 15m}')).toBe('rigor.yaml, field "leas": Unrecognized key: "leas"; did you mean "lease"?')
    expect(config('lease: {duraton: 15m}')).toContain('field "lease.duraton": Unrecognized key: "duraton"; did you mean "duration"?')
    expect(config('teams: [{name: a, max_paralel: 2}]')).toContain('did you mean "max_parallel"?')
    expect(config('runner: {limits: {note: 1KB}}')).toContain('field "runner.limits.note": Unrecognized key: "note"; did you mean "notes"?')
    expect(config('deploy: {live: {min_paper_period: 3}}')).toContain('did you mean "min_paper_periods"?')
    expect(config('zzzzqqq: 1')).toBe('rigor.yaml, field "zzzzqqq": Unrecognized key: "zzzzqqq"')
    // keys that are names on Object.prototype are keys like any other
    expect(config('constructor: 1')).toBe('rigor.yaml, field "constructor": Unrecognized key: "constructor"')
    const spec = (value: unknown) => message(() => validate(SeedSpec, value, 'spec.yaml'))
    expect(spec({nodes: [{id: 'a/b', run: {comand: ['x']}}]})).toContain(
      'field "nodes[0].run.comand": Unrecognized key: "comand"; did you mean "command"?',
    )
    expect(spec({sweeps: [{id: 'a/b', run: {command: ['x']}, gird: {x: [1]}}]})).toContain('did you mean "grid"?')
    expect(spec({node: []})).toBe('spec.yaml, field "node": Unrecognized key: "node"; did you mean "nodes"?')
  })
})

describe('rigor.yaml gate and rule names', () => {
  it('are one line without control characters or bidirectional overrides (they are printed and recorded in verdicts)', () => {
    expect(parseConfig('version: 1\ngates: [{name: "Sharpe gate (min 0.5)", accept_when: "true"}]\n', 'rigor.yaml').gates[0]!.name).toBe(
      'Sharpe gate (min 0.5)',
    )
    expect(() => parseConfig('version: 1\ngates: [{name: "g\\nRigor-Action: deploy", accept_when: "true"}]\n', 'rigor.yaml')).toThrow(
      'rigor.yaml, field "gates[0].name": "g\\nRigor-Action: deploy" contains a line break, a control character or a bidirectional override',
    )
    expect(() =>
      parseConfig('version: 1\nrules: [{name: "r\\u202ex", on: [proven_accepted], spawn: [{name: n}]}]\n', 'rigor.yaml'),
    ).toThrow('field "rules[0].name": "r\\u202ex" contains a line break')
  })
})

describe('rigor.yaml rule spawn names', () => {
  const rule = (spawn: string) => `version: 1\nrules: [{name: r, on: [proven_rejected], spawn: [${spawn}]}]\n`
  it('refuse a name no spawned node could have, naming the field, rather than a rule that never fires', () => {
    expect(() => parseConfig(rule('{as: child, name: out}'), 'rigor.yaml')).toThrow(
      /rigor\.yaml, field "rules\[0\]\.spawn\[0\]\.name": .*"out" is reserved/,
    )
    expect(() => parseConfig(rule('{as: sibling, name: retry, params: {a: 1}}, {as: child, name: x.lock}'), 'rigor.yaml')).toThrow(
      /field "rules\[0\]\.spawn\[1\]\.name": .*may not end in \.lock/,
    )
    expect(() => parseConfig(rule(`{as: child, name: ${'a'.repeat(129)}}`), 'rigor.yaml')).toThrow(/field "rules\[0\]\.spawn\[0\]\.name"/)
    // beside its source, "out" is the end of a name (x-out), which is a segment like any other
    expect(parseConfig(rule('{as: sibling, name: out, params: {a: 1}}'), 'rigor.yaml').rules[0]!.spawn[0]!.name).toBe('out')
  })

  it('refuse a spawn that changes neither params nor run: its node would be its source again, a duplicate never spawned', () => {
    expect(() => parseConfig(rule('{as: child, name: kid, params: {a: 1}}, {as: sibling, name: again}'), 'rigor.yaml')).toThrow(
      /rigor\.yaml, field "rules\[0\]\.spawn\[1\]": spawn "again" changes neither params nor run/,
    )
    expect(() => parseConfig(rule('{name: kid, team: other, priority: 5}'), 'rigor.yaml')).toThrow(/changes neither params nor run/)
    expect(parseConfig(rule('{name: kid, run: {command: [./other.sh]}}'), 'rigor.yaml').rules[0]!.spawn[0]!.run).toBeDefined()
  })

  it("refuse two spawns of one rule named alike: the second would always find the first one's node, and never spawn", () => {
    expect(() =>
      parseConfig(rule('{name: up, params: {x: 2}}, {as: sibling, name: up, params: {x: 3}}, {name: up, params: {x: 4}}'), 'rigor.yaml'),
    ).toThrow(
      'rigor.yaml, field "rules[0].spawn[2].name": spawn "up" (as child) is also rules[0].spawn[0]: both would make the same node id, so this one would never spawn',
    )
    // a child and a sibling of one name are two ids (<node>/up, <node>-up)
    expect(
      parseConfig(rule('{name: up, params: {x: 2}}, {as: sibling, name: up, params: {x: 3}}'), 'rigor.yaml').rules[0]!.spawn,
    ).toHaveLength(2)
  })
})
