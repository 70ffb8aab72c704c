import {chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, rigorAsync} from '../helpers/cli.js'
import {runDirs, SLOW, sleep, waitFor, waitForPids} from '../helpers/processes.js'
import {SH_GATED, SH_OK} from '../fixtures/runners.js'
import {countActions, git, holdPushes, remoteWithClones, removeRoot} from './remote-helpers.js'
import {accepting} from './follow-helpers.js'

// apart from remote.test.ts, so that neither file takes over 90 s on a loaded machine
const FIXTURES = resolve(__dirname, '../fixtures')
let root: string | undefined
afterEach(() => removeRoot(root))

describe('a lost worker, through one git remote', () => {
  it('a worker killed in one clone is re-queued by a supervisor in another and finished once', async () => {
    const config = `version: 1\nteams: [{name: default}]\ngates: [{name: g, accept_when: 'metrics.sharpe > 0.0'}]\nlease: {duration: 3s, max_attempts: 3}`
    // no sandbox: the runner writes its pid under the host's /tmp, which a sandbox hides
    const made = remoteWithClones(
      2,
      {nodes: [{id: 'k/victim', team: 'default', run: {command: ['node', join(FIXTURES, 'slow-runner.cjs')], sandbox: 'off'}}]},
      config,
    )
    root = made.root
    const {bare, clones} = made
    const pids = join(root, 'pids.txt')
    const doomed = rigorAsync(clones[0]!, ['work', '--remote', 'origin', '--worker', 'doomed'], {
      RIGOR_TEST_SLEEP_MS: '60000',
      RIGOR_PIDS_FILE: pids,
    })
    const runner = await waitForPids(pids, 1)
    doomed.kill('SIGKILL')
    await doomed
    for (const pid of runner) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {}
    }
    await sleep(3500)
    const sup = json(rigor(clones[1]!, ['supervise', '--once', '--remote', 'origin', '--json']))
    expect(sup.supervised.requeued).toEqual(['k/victim'])
    const rescue = json(rigor(clones[1]!, ['work', '--remote', 'origin', '--worker', 'rescuer', '--json'], {RIGOR_TEST_SLEEP_MS: '100'}))
    expect(rescue.finished).toBe(1)
    expect(countActions(bare, 'verdict').get('k/victim')).toBe(1)
    const shown = json(rigor(clones[0]!, ['show', 'k/victim', '--remote', 'origin', '--json']))
    expect(shown.verdict).toMatchObject({worker: 'rescuer', attempt: 2, status: 'proven_accepted'})
  })
})

// a long-lived supervisor left with exit 1 at the first pass that found its remote unreachable (a network blip, a
// shared file system remounted): the claims of workers that died afterwards were never taken back
describe('rigor supervise --interval through one git remote', {timeout: SLOW}, () => {
  it('waits out a remote that went away, says so once, and takes back an expired claim once it is back', async () => {
    const config = `version: 1\nteams: [{name: default}]\ngates: [{name: g, accept_when: 'metrics.sharpe > 0.0'}]\nlease: {duration: 1ms, max_attempts: 3}`
    const made = remoteWithClones(2, {nodes: [{id: 'k/one', team: 'default', run: {command: ['true']}}]}, config)
    root = made.root
    const {bare, clones} = made
    const supervisor = rigorAsync(clones[1]!, ['supervise', '--interval', '1', '--remote', 'origin', '--by', 'sup'])
    let exited = false
    void supervisor.then(() => (exited = true))
    const alive = (what: string, condition: () => boolean) => () => {
      if (exited) throw new Error(`the supervisor left before ${what}:\n${supervisor.output()}\n${supervisor.errors()}`)
      return condition()
    }
    try {
      await waitFor(
        'the first pass',
        alive('its first pass', () => /re-queued 0/.test(supervisor.output())),
      )
      renameSync(bare, `${bare}.away`)
      await waitFor(
        'the supervisor to say the remote is away',
        alive('it said so', () => /trying again every 1s/.test(supervisor.errors())),
      )
      renameSync(`${bare}.away`, bare)
      // a lease of 1 ms has expired by the time the supervisor looks: no waiting on a clock
      expect(rigor(clones[0]!, ['claim', '--remote', 'origin', '--worker', 'ghost']).code).toBe(0)
      await waitFor(
        'the claim to be taken back',
        alive('it took it back', () => /re-queued 1 \(k\/one\)/.test(supervisor.output())),
      )
    } finally {
      supervisor.kill('SIGTERM')
    }
    const done = await supervisor
    expect(done.code, done.stderr).toBe(143)
    expect(done.stderr.match(/trying again every 1s/g)).toHaveLength(1)
    expect(done.stderr).toMatch(/the remote can be reached again/)
    expect(json(rigor(clones[0]!, ['status', '--remote', 'origin', '--json'])).by_status).toMatchObject({pending: 1, running: 0})
  })
})

// a push the remote has received goes on there when the pushing process dies (a remote over ssh or https; here a
// receive-pack in a session of its own). A worker told to leave at once while its claim commit was on its way said
// it "held no claim", and the node it had claimed stayed running under it with nothing said
describe('rigor work --remote leaving at once while its claim is pushed', {timeout: SLOW}, () => {
  it('names the node whose claim was on its way, which the remote then holds for it', async () => {
    const made = remoteWithClones(1, {nodes: [{id: 'k/one', team: 'default', run: {command: ['true']}}]})
    root = made.root
    const {bare, clones} = made
    const {arrived, release} = holdPushes(root, bare)
    git(clones[0]!, 'config', 'remote.origin.receivepack', 'setsid git-receive-pack')
    const worker = rigorAsync(clones[0]!, ['work', '--remote', 'origin', '--worker', 'w'])
    try {
      await waitFor('the claim to reach the remote', () => existsSync(arrived))
      worker.kill('SIGINT')
      await waitFor('the stop to begin', () => /stopping/.test(worker.output()))
      worker.kill('SIGINT')
    } finally {
      const done = await worker
      release()
      expect(done.code, done.stderr).toBe(130)
      expect(done.stderr).not.toMatch(/held no claim/)
      expect(done.stderr).toMatch(/maybe claimed by w \(its claim commit was on its way as it left; `rigor show <id>` tells\): k\/one/)
      expect(done.stderr).toMatch(/back to pending once their lease expires/)
    }
    await waitFor('the claim to land', () => git(bare, 'log', '-1', '--format=%s', 'main') === 'rigor: claim k/one')
  })
})

// a node claimed ahead (--prefetch) and taken back by a supervisor before its slot started it was dropped without a
// word: the summary counted neither its claim nor its loss, so claimed != finished + released + lost and the user was
// not told that a claim it made was lost
describe('rigor work --remote --prefetch, its waiting claims taken back', {timeout: SLOW}, () => {
  it('counts a node claimed ahead and taken back before it started as claimed and lost', async () => {
    const config = `version: 1\nteams: [{name: default}]\ngates: [{name: g, accept_when: 'metrics.sharpe > 0.0'}]\nlease: {duration: 1ms, max_attempts: 3}`
    const made = remoteWithClones(2, {nodes: []}, config)
    root = made.root
    const {bare, clones} = made
    const gate = join(root, 'gate')
    // a, first in line, runs until the gate opens; b waits, claimed ahead in the same commit
    const spec = join(root, 'spec.yaml')
    writeFileSync(
      spec,
      JSON.stringify({
        nodes: [
          {id: 'p/a', team: 'default', priority: 1, run: {command: accepting(gate), sandbox: 'off'}},
          {id: 'p/b', team: 'default', run: {command: accepting(), sandbox: 'off'}},
        ],
      }),
    )
    expect(rigor(clones[1]!, ['seed', spec, '--remote', 'origin']).code).toBe(0)
    const worker = rigorAsync(clones[0]!, ['work', '--remote', 'origin', '--prefetch', '2', '--worker', 'pa', '--json'])
    try {
      await waitFor('both claimed in one commit', () => git(bare, 'log', '-1', '--format=%s', 'main') === 'rigor: claim 2 nodes')
      // a lease of 1 ms has expired by the time the supervisor looks: no waiting on a clock
      const sup = json(rigor(clones[1]!, ['supervise', '--once', '--remote', 'origin', '--json']))
      expect(sup.supervised.requeued).toEqual(['p/a', 'p/b'])
    } finally {
      writeFileSync(gate, '')
    }
    const done = await worker
    expect(done.code, done.stderr).toBe(0)
    const summary = json(done)
    expect(summary.claimed).toBe(summary.finished + summary.released + summary.lost)
    // claimed in commits by pa: each node twice (the batch, then again once back to pending)
    const claims = git(bare, 'log', '--format=%B%x00', 'main')
      .split('\0')
      .filter((m) => /Rigor-Action: claim/.test(m) && /Rigor-Worker: pa/.test(m))
      .flatMap((m) => [...m.matchAll(/^Rigor-Node: (\S+)/gm)].map((x) => x[1]))
    expect(summary.claimed).toBe(claims.length)
    expect(summary.lost).toBe(2)
    expect(countActions(bare, 'verdict')).toEqual(
      new Map([
        ['p/a', 1],
        ['p/b', 1],
      ]),
    )
  })
})

// following, a node claimed ahead whose lease its slot renewed as it took it, while the remote could not be reached,
// was dropped from the batch: once the remote was back the worker never ran it, nor renewed it, and it stayed running
// under the worker until a supervisor took it back after its lease (the attempt counted)
describe('rigor work --remote --follow --prefetch, the remote away as a slot takes a node claimed ahead', {timeout: SLOW}, () => {
  it('runs that node once the remote is back', async () => {
    const config = `version: 1\nteams: [{name: default}]\ngates: [{name: g, accept_when: 'metrics.sharpe > 0.0'}]\nlease: {duration: 1ms, max_attempts: 3}`
    const spec = {
      nodes: [
        {id: 'p/a', team: 'default', priority: 1, run: {command: SH_GATED}},
        {id: 'p/b', team: 'default', run: {command: SH_OK}},
      ],
    }
    const made = remoteWithClones(1, spec, config)
    root = made.root
    const {bare, clones} = made
    const clone = clones[0]!
    // while `down` exists, every fetch and push of the clone finds no remote (as a remote by path that is gone), logged
    const [down, failures] = [join(root, 'down'), join(root, 'failures')]
    for (const side of ['upload-pack', 'receive-pack']) {
      const wrapper = join(root, side)
      writeFileSync(
        wrapper,
        `#!/bin/sh\nif [ -e '${down}' ]; then echo x >> '${failures}'; echo "fatal: '$1' does not appear to be a git repository" >&2; exit 128; fi\nexec git-${side} "$@"\n`,
      )
      chmodSync(wrapper, 0o755)
      git(clone, 'config', `remote.origin.${side.replace('-', '')}`, wrapper)
    }
    const failed = () => (existsSync(failures) ? readFileSync(failures, 'utf8').length / 2 : 0)
    const worker = rigorAsync(clone, [
      'work',
      '--remote',
      'origin',
      '--follow',
      '--poll',
      '1s',
      '--prefetch',
      '2',
      '--worker',
      'w',
      '--json',
    ])
    try {
      await waitFor('both claimed in one commit', () => git(bare, 'log', '-1', '--format=%s', 'main') === 'rigor: claim 2 nodes')
      writeFileSync(down, '')
      await waitFor('the remote to be missed', () => failed() > 0)
      // p/a ends: its slot takes p/b, whose lease of 1 ms it renews first, and its verdict waits for the remote
      writeFileSync(join(clone, 'gate'), '')
      // the slot tries within milliseconds of p/a's end, queued behind the verdict's first try; the verdict and the
      // follower's wakes keep trying after it: twenty misses later the slot has met the remote away
      const before = failed()
      await waitFor('the slot and the verdict to miss the remote many times', () => failed() >= before + 20)
      rmSync(down)
      await waitFor('p/b to be run', () => countActions(bare, 'verdict').get('p/b') === 1)
    } finally {
      worker.kill('SIGINT')
    }
    const done = await worker
    expect(done.code, done.stderr).toBe(130)
    expect(json(done)).toMatchObject({finished: 2, released: 0, lost: 0})
    expect(json(rigor(clone, ['show', 'p/b', '--remote', 'origin', '--json'])).verdict).toMatchObject({worker: 'w', attempt: 1})
  })
})

// rigor claim stopped (SIGTERM: a CI step's timeout) while its push was on its way died at once; the push, in a git
// of its own, landed after it, and the node stayed claimed for its whole lease by a claim whose id no one was told
describe('rigor claim --remote stopped while its push is on its way', {timeout: SLOW}, () => {
  it('puts the claim back once it lands and exits 143 saying so', async () => {
    const made = remoteWithClones(1, {nodes: [{id: 'k/one', team: 'default', run: {command: ['true']}}]})
    root = made.root
    const {bare, clones} = made
    const {arrived, release} = holdPushes(root, bare)
    const claim = rigorAsync(clones[0]!, ['claim', '--remote', 'origin', '--worker', 'ci'])
    try {
      await waitFor('the claim to reach the remote', () => existsSync(arrived))
      claim.kill('SIGTERM')
    } finally {
      release()
    }
    const done = await claim
    expect(done.code, done.stderr).toBe(143)
    expect(done.stdout).toBe('')
    expect(done.stderr).toMatch(/the claim of k\/one was stopped by SIGTERM: k\/one was put back/)
    expect(git(bare, 'log', '-2', '--format=%s', 'main').split('\n')).toEqual(['rigor: release k/one', 'rigor: claim k/one'])
  })
})

// rigor run <pending id> claimed it before any signal handler was in place: stopped (SIGTERM, Ctrl-C) while that claim
// was on its way, it died at once, and the claim landed for a worker that was gone, held until its lease expired
describe('rigor run --remote stopped while the claim of its pending node is on its way', {timeout: SLOW}, () => {
  it('puts the claim back once it lands, starts no runner and exits 143', async () => {
    const made = remoteWithClones(1, {nodes: [{id: 'k/one', team: 'default', run: {command: ['true']}}]})
    root = made.root
    const {bare, clones} = made
    const {arrived, release} = holdPushes(root, bare)
    const run = rigorAsync(clones[0]!, ['run', 'k/one', '--remote', 'origin', '--worker', 'ci'])
    try {
      await waitFor('the claim to reach the remote', () => existsSync(arrived))
      run.kill('SIGTERM')
    } finally {
      release()
    }
    const done = await run
    expect(done.code, done.stderr).toBe(143)
    expect(git(bare, 'log', '-2', '--format=%s', 'main').split('\n')).toEqual(['rigor: release k/one', 'rigor: claim k/one'])
    expect(countActions(bare, 'verdict').get('k/one')).toBeUndefined()
  })
})

// the worker renewed a running node's lease at the pace of the lease it started with: after a push that shortened
// lease.duration (30 s to 3 s), a renewal held the node 3 s and the next came 10 s later, so a supervisor in another
// clone took the running node back in between and its run was thrown away
describe('a lease shortened in rigor.yaml while a node runs, through one git remote', {timeout: SLOW}, () => {
  it('is renewed at the pace of the new lease, so no supervisor takes the running node back', async () => {
    const lease = (duration: string) =>
      `version: 1\nteams: [{name: default}]\ngates: [{name: g, accept_when: 'metrics.sharpe > 0.0'}]\nlease: {duration: ${duration}, max_attempts: 3}\n`
    const made = remoteWithClones(2, {nodes: [{id: 'l/long', team: 'default', run: {command: SH_GATED}}]}, lease('30s'))
    root = made.root
    const [worker, other] = made.clones as [string, string]
    const run = rigorAsync(worker, ['work', '--remote', 'origin', '--worker', 'w', '--json'])
    await waitFor('the node to run', () => runDirs(worker).some((dir) => existsSync(join(worker, '.git/rigor/runs', dir, 'out/started'))))
    git(other, 'pull', '-q', '--ff-only')
    writeFileSync(join(other, 'rigor.yaml'), lease('3s'))
    git(other, 'commit', '-qam', 'shorter leases')
    git(other, 'push', '-q', 'origin', 'main')
    const renewals = () => Number(git(made.bare, 'rev-list', '--count', '--grep=^Rigor-Action: renew$', 'main'))
    await waitFor('a renewal under the new lease', () => renewals() > 0)
    const renewedUntil = Date.parse(json(rigor(other, ['show', 'l/long', '--remote', 'origin', '--json'])).lease_until)
    await waitFor('that renewal to have run out', () => Date.now() > renewedUntil + 500)
    expect(json(rigor(other, ['supervise', '--once', '--remote', 'origin', '--json'])).supervised.requeued).toEqual([])
    writeFileSync(join(worker, 'gate'), '')
    const done = await run
    expect(done.code, done.stderr).toBe(0)
    expect(json(done)).toMatchObject({finished: 1, by_status: {proven_accepted: 1}})
  })
})
