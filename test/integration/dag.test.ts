import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, rigorAsync} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {SH_CRASH, SH_OK} from '../fixtures/runners.js'
import {actionsPerNode, workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

const FIXTURES = resolve(__dirname, '../fixtures')
const REJECT = ['sh', '-c', 'printf \'{"metrics":{"sharpe":-1.0}}\' > "$RIGOR_OUT/verdict.json"']

/** Writes rigor.yaml; rigor reads its config from the branch tip, so tests commit it before use. */
function setConfig(dir: string, yaml: string) {
  writeFileSync(join(dir, 'rigor.yaml'), yaml)
}

/** A process that exists and is not a zombie waiting to be reaped. */
const alive = (pid: number) => {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
  } catch {
    return false
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('the research DAG', () => {
  it('a grid sweep of 3 x 4 values creates 12 variants named from their params; seeding again creates 0', () => {
    repo = workspace()
    writeSpec(repo.dir, {
      sweeps: [
        {
          id: 'arch/hidden',
          team: 'default',
          run: {command: SH_OK},
          params: {period: 14},
          grid: {lower: [25, 30, 35], upper: [70, 72.5, 75, 80]},
        },
      ],
    })
    const first = json(rigor(repo.dir, ['seed', 'spec.yaml', '--json']))
    expect(first.added).toHaveLength(12)
    expect(first.sweeps).toEqual(['arch/hidden'])
    expect(first.added).toContain('arch/hidden/lower-25-upper-70')
    expect(first.added).toContain('arch/hidden/lower-35-upper-72p5')
    const shown = json(rigor(repo.dir, ['show', 'arch/hidden/lower-30-upper-75', '--json']))
    expect(shown.params).toEqual({period: 14, lower: 30, upper: 75})
    expect(shown.parent).toBe('arch/hidden')
    const again = json(rigor(repo.dir, ['seed', 'spec.yaml', '--json']))
    expect(again.added).toHaveLength(0)
    expect(json(rigor(repo.dir, ['status', '--json']))).toMatchObject({total: 12, sweeps: 1})
    const work = json(rigor(repo.dir, ['work', '--parallel', '2', '--json']))
    expect(work.finished).toBe(12)
    const graph = rigor(repo.dir, ['graph']).stdout
    expect(graph).toContain('flowchart LR')
    expect(graph).toContain('sweep: 12 variants<br/>12 accepted')
    expect(rigor(repo.dir, ['graph', '--expand']).stdout).toContain('lower-25-upper-70')
  })

  it('a team with waits_for starts only after its trunk is accepted; a node whose requirement is rejected ends blocked', () => {
    repo = workspace()
    setConfig(
      repo.dir,
      `version: 1
teams:
  - name: arch
  - name: universe
    waits_for: "nodes.exists(n, n.team == 'arch' && n.status == 'proven_accepted')"
gates:
  - name: g
    reject_when: "metrics.sharpe < 0.0"
    accept_when: "metrics.sharpe >= 0.3"
`,
    )
    repo.git('commit', '-qam', 'config')
    writeSpec(repo.dir, {
      nodes: [
        {id: 'universe/wide', team: 'universe', run: {command: SH_OK}, priority: 10},
        {id: 'arch/trunk', team: 'arch', run: {command: SH_OK}},
        {id: 'arch/bad', team: 'arch', run: {command: REJECT}},
        {id: 'arch/after-bad', team: 'arch', run: {command: SH_OK}, requires: ['arch/bad']},
        {id: 'arch/after-after', team: 'arch', run: {command: SH_OK}, requires: ['arch/after-bad']},
      ],
    })
    rigor(repo.dir, ['seed', 'spec.yaml'])
    // universe has the highest priority but must wait
    const first = rigor(repo.dir, ['claim', '--json'])
    expect(json(first).claimed.id).toBe('arch/trunk')
    const onlyUniverse = rigor(repo.dir, ['claim', '--team', 'universe', '--json'])
    expect(onlyUniverse.code).toBe(3)
    expect(json(onlyUniverse).error.message).toContain('blocked')
    expect(json(onlyUniverse).error.message).toContain('waits for')
    rigor(repo.dir, ['run', 'arch/trunk'])
    expect(json(rigor(repo.dir, ['claim', '--team', 'universe', '--json'])).claimed.id).toBe('universe/wide')
    rigor(repo.dir, ['run', 'universe/wide'])
    rigor(repo.dir, ['work'])
    const bad = json(rigor(repo.dir, ['show', 'arch/after-bad', '--json']))
    expect(bad.status).toBe('blocked')
    expect(bad.reason).toContain('arch/bad ended proven_rejected')
    expect(json(rigor(repo.dir, ['show', 'arch/after-after', '--json'])).status).toBe('blocked')
  })

  it('a bad condition in rigor.yaml fails at load, naming the rule and the position', () => {
    repo = workspace()
    setConfig(
      repo.dir,
      `version: 1\nrules:\n  - name: broken\n    on: [proven_rejected]\n    when: "metrics.sharpe >"\n    spawn: [{as: child, name: x}]\n`,
    )
    repo.git('commit', '-qam', 'broken config')
    const result = rigor(repo.dir, ['status'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('rules[0].when')
    expect(result.stderr).toContain('broken')
    expect(result.stderr).toMatch(/line 1|column|position/)
  })

  it('the inconclusive cascade terminates: rules never fire on tool failures, and max_generations caps a growing chain', () => {
    repo = workspace()
    setConfig(
      repo.dir,
      `version: 1
teams: [{name: default}]
gates:
  - name: g
    reject_when: "metrics.sharpe < 0.0"
    accept_when: "metrics.sharpe >= 0.3"
rules:
  - name: retry-on-failure
    on: [inconclusive, proven_rejected]
    when: "status == 'inconclusive'"
    spawn: [{as: child, name: retry, params: {retry: true}}]
  - name: widen
    on: [proven_rejected]
    spawn:
      - {as: child, name: a, params: {a: 1}}
      - {as: child, name: b, params: {b: 1}}
      - {as: child, name: c, params: {c: 1}}
max_generations: 2
`,
    )
    repo.git('commit', '-qam', 'config')
    writeSpec(repo.dir, {
      nodes: [
        {id: 'tool/broken', team: 'default', run: {command: SH_CRASH}},
        {id: 'idea/weak', team: 'default', run: {command: REJECT}},
      ],
    })
    rigor(repo.dir, ['seed', 'spec.yaml'])
    const work = json(rigor(repo.dir, ['work', '--parallel', '2', '--json']))
    // idea/weak, 3 children, then the 3 distinct pairs; the crash spawns nothing
    expect(work.finished).toBe(2 + 3 + 3)
    expect(json(rigor(repo.dir, ['status', '--json'])).total).toBe(8)
    // which of a and b finishes first names their pair (a/b, or b/a) under --parallel 2
    expect(['a/b', 'b/a'].some((pair) => existsSync(join(repo.dir, `experiments/idea/weak/${pair}/node.yaml`)))).toBe(true)
    expect(existsSync(join(repo.dir, 'experiments/tool/broken/retry'))).toBe(false)
    const check = json(rigor(repo.dir, ['rules', 'check', '--json']))
    expect(check.spawned).toEqual([])
    const reasons = check.decisions.map((d: any) => `${d.id}: ${d.skipped}`)
    expect(reasons).toContain('tool/broken/retry: rules never fire on inconclusive verdicts')
    expect(reasons.some((r: string) => /^idea\/weak\/[abc]\/[abc]\/[abc]: /.test(r) && r.includes('past max_generations 2'))).toBe(true)
    expect(reasons.some((r: string) => /same command, params and data as idea\/weak\/[abc]\/[abc]\b/.test(r))).toBe(true)
    expect(json(rigor(repo.dir, ['rules', 'replay', '--json'])).spawned).toEqual([])
  })

  it("the ping-pong cycle terminates: two rules spawning each other's parameters stop at the fingerprint", () => {
    repo = workspace()
    setConfig(
      repo.dir,
      `version: 1
teams: [{name: default}]
gates: [{name: g, reject_when: "metrics.sharpe < 0.0"}]
rules:
  - name: ping
    on: [proven_rejected]
    when: "params.dropout == 0.1"
    spawn: [{as: sibling, name: ping, params: {dropout: 0.3}}]
  - name: pong
    on: [proven_rejected]
    when: "params.dropout == 0.3"
    spawn: [{as: sibling, name: pong, params: {dropout: 0.1}}]
max_generations: 10
`,
    )
    repo.git('commit', '-qam', 'config')
    writeSpec(repo.dir, {nodes: [{id: 'loss/base', team: 'default', run: {command: REJECT}, params: {dropout: 0.1}}]})
    rigor(repo.dir, ['seed', 'spec.yaml'])
    const work = json(rigor(repo.dir, ['work', '--json']))
    expect(work.finished).toBe(2)
    const check = json(rigor(repo.dir, ['rules', 'check', '--json']))
    const skipped = check.decisions.filter((d: any) => d.skipped)
    expect(skipped.some((d: any) => d.skipped.includes('same command, params and data as loss/base'))).toBe(true)
    expect(check.spawned).toEqual([])
  })

  it('a worker killed with SIGKILL mid-run: supervise re-queues after the lease, another worker finishes, one verdict', async () => {
    repo = workspace()
    setConfig(
      repo.dir,
      `version: 1\nteams: [{name: default}]\ngates: [{name: g, accept_when: 'metrics.sharpe > 0.0'}]\nlease: {duration: 6s, max_attempts: 3}\n`,
    )
    repo.git('commit', '-qam', 'short lease')
    // no sandbox: the runner writes its pid into .git, which a sandbox hides
    writeSpec(repo.dir, {
      nodes: [{id: 'k/victim', team: 'default', run: {command: ['node', join(FIXTURES, 'slow-runner.cjs')], sandbox: 'off'}}],
    })
    rigor(repo.dir, ['seed', 'spec.yaml'])
    const pids = join(repo.dir, '.git', 'pids.txt')
    const doomed = rigorAsync(repo.dir, ['work', '--worker', 'doomed'], {RIGOR_TEST_SLEEP_MS: '60000', RIGOR_PIDS_FILE: pids})
    for (let i = 0; i < 100 && !existsSync(pids); i++) await sleep(100)
    doomed.kill('SIGKILL')
    await doomed
    for (const pid of readFileSync(pids, 'utf8').trim().split('\n').map(Number)) if (alive(pid)) process.kill(pid, 'SIGKILL')
    const held = json(rigor(repo.dir, ['show', 'k/victim', '--json']))
    expect(held.status).toBe('running')
    // a lease that has not expired is left alone (checked only while it is surely still running: machines here are slow)
    if (Date.parse(held.lease_until) - Date.now() > 3000) {
      expect(json(rigor(repo.dir, ['supervise', '--once', '--json'])).supervised.requeued).toEqual([])
    }
    await sleep(6500)
    const sup = json(rigor(repo.dir, ['supervise', '--once', '--json']))
    expect(sup.supervised.requeued).toEqual(['k/victim'])
    const rescue = json(rigor(repo.dir, ['work', '--worker', 'rescuer', '--json'], {RIGOR_TEST_SLEEP_MS: '100'}))
    expect(rescue.finished).toBe(1)
    const shown = json(rigor(repo.dir, ['show', 'k/victim', '--json']))
    expect(shown.verdict).toMatchObject({status: 'proven_accepted', worker: 'rescuer', attempt: 2})
    expect(actionsPerNode(repo, 'verdict').get('k/victim')).toBe(1)
    expect(actionsPerNode(repo, 'claim').get('k/victim')).toBe(2)
  })

  it('cancel on a running node whose runner ignores SIGTERM: the process tree is gone within the grace period', async () => {
    repo = workspace()
    // no sandbox: the runner writes its host pids into .git, which a sandbox hides (sandbox.test.ts covers the sandboxed cancel)
    writeSpec(repo.dir, {
      nodes: [{id: 'c/stubborn', team: 'default', run: {command: ['node', join(FIXTURES, 'ignore-term.cjs')], sandbox: 'off'}}],
    })
    rigor(repo.dir, ['seed', 'spec.yaml'])
    const pids = join(repo.dir, '.git', 'pids.txt')
    const worker = rigorAsync(repo.dir, ['work', '--json'], {RIGOR_PIDS_FILE: pids})
    for (let i = 0; i < 100 && !existsSync(pids); i++) await sleep(100)
    const tree = readFileSync(pids, 'utf8').trim().split('\n').map(Number)
    expect(tree.every(alive)).toBe(true)
    const cancel = rigor(repo.dir, ['cancel', 'c/stubborn', '--json'])
    expect(json(cancel).stopping).toEqual(['c/stubborn'])
    const done = await worker
    expect(done.code).toBe(0)
    // no stopwatch here (a loaded machine stretches any bound): a worker that waited on the runner instead of
    // killing it after the grace would never finish, and the test's own timeout fails it
    expect(tree.some(alive)).toBe(false)
    const shown = json(rigor(repo.dir, ['show', 'c/stubborn', '--json']))
    expect(shown.status).toBe('cancelled')
    expect(shown.verdict).toMatchObject({status: 'cancelled', decided_by: 'cancel'})
    // a pending node cancels at once
    writeSpec(repo.dir, {nodes: [{id: 'c/later', team: 'default', run: {command: SH_OK}}]}, 'later.yaml')
    rigor(repo.dir, ['seed', 'later.yaml'])
    expect(json(rigor(repo.dir, ['cancel', 'c/later', '--json'])).cancelled).toEqual(['c/later'])
    expect(rigor(repo.dir, ['claim']).code).toBe(3)
    expect(rigor(repo.dir, ['cancel', 'c/later']).code).toBe(1)
  })
})

describe('teams and leases', () => {
  it('max_parallel caps the running nodes of a team', () => {
    repo = workspace()
    setConfig(repo.dir, `version: 1\nteams: [{name: narrow, max_parallel: 1}, {name: wide}]\n`)
    repo.git('commit', '-qam', 'config')
    writeSpec(repo.dir, {
      nodes: [
        {id: 'narrow/a', team: 'narrow', run: {command: SH_OK}},
        {id: 'narrow/b', team: 'narrow', run: {command: SH_OK}},
        {id: 'wide/a', team: 'wide', run: {command: SH_OK}},
      ],
    })
    rigor(repo.dir, ['seed', 'spec.yaml'])
    expect(json(rigor(repo.dir, ['claim', '--json'])).claimed.id).toBe('narrow/a')
    expect(json(rigor(repo.dir, ['claim', '--json'])).claimed.id).toBe('wide/a')
    const held = rigor(repo.dir, ['claim', '--json'])
    expect(held.code).toBe(3)
    expect(json(held).error.message).toContain('max_parallel')
    rigor(repo.dir, ['run', 'narrow/a'])
    expect(json(rigor(repo.dir, ['claim', '--json'])).claimed.id).toBe('narrow/b')
  })

  it('a lease that expires on the last attempt ends the node inconclusive with the reason', async () => {
    repo = workspace()
    setConfig(repo.dir, `version: 1\nteams: [{name: default}]\nlease: {duration: 1s, max_attempts: 1}\n`)
    repo.git('commit', '-qam', 'config')
    writeSpec(repo.dir, {nodes: [{id: 'l/once', team: 'default', run: {command: SH_OK}}]})
    rigor(repo.dir, ['seed', 'spec.yaml'])
    expect(rigor(repo.dir, ['claim', '--worker', 'ghost']).code).toBe(0)
    await sleep(1500)
    const sup = json(rigor(repo.dir, ['supervise', '--once', '--json']))
    expect(sup.health.stuck.map((s: any) => s.id)).toEqual(['l/once'])
    expect(sup.supervised.expired).toEqual(['l/once'])
    const shown = json(rigor(repo.dir, ['show', 'l/once', '--json']))
    expect(shown.status).toBe('inconclusive')
    expect(shown.verdict.reason).toContain('lease expired on attempt 1 of 1')
  })
})
