import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {BIN, rigorAsync} from '../helpers/cli.js'
import {GIT_ENV, type TempRepo} from '../helpers/git-repo.js'
import {runDirs, SLOW, waitFor} from '../helpers/processes.js'
import {accepting, expectNothingLeft, FOLLOW, processesIn, seedNodes as seed, statusOf} from './follow-helpers.js'
import {workspace} from './helpers.js'

/**
 * `rigor work --follow`: a long-lived worker that waits when nothing is
 * claimable, wakes when the state changes, and stops cleanly on a signal.
 */

let repo: TempRepo
let scratch: string | undefined
let tmuxSocket: string | undefined
/** a follower a failed test left running: stopped as a user would */
let leftRunning: {kill: (signal?: NodeJS.Signals) => boolean} | undefined
afterEach(() => {
  leftRunning?.kill('SIGTERM')
  leftRunning = undefined
  if (tmuxSocket) spawnSync('tmux', ['-L', tmuxSocket, 'kill-server'])
  tmuxSocket = undefined
  repo?.cleanup()
  if (scratch) rmSync(scratch, {recursive: true, force: true})
  scratch = undefined
})

const FIXTURES = resolve(__dirname, '../fixtures')
const FOREVER = ['node', join(FIXTURES, 'forever-runner.cjs')]
const hasTmux = spawnSync('tmux', ['-V']).status === 0
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`
const status = (dir = repo.dir, ...extra: string[]) => statusOf(dir, ...extra)

/** A fresh workspace (\`repo\`) cloned bare into scratch as the remote, and a clone of that for the worker. */
function workerCloneOfBareRemote(): {bare: string; worker: string} {
  repo = workspace()
  scratch = mkdtempSync(join(tmpdir(), 'rigor-follow-'))
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, {cwd, env: {...process.env, ...GIT_ENV}, encoding: 'utf8'})
  const bare = join(scratch, 'remote.git')
  git(scratch, 'clone', '-q', '--bare', repo.dir, bare)
  const worker = join(scratch, 'worker')
  git(scratch, 'clone', '-q', bare, worker)
  return {bare, worker}
}

describe('rigor work --follow', {timeout: SLOW}, () => {
  it('waits on an empty queue, runs a node seeded meanwhile, and on SIGTERM puts back what it runs and leaves nothing behind', async () => {
    repo = workspace()
    const follower = rigorAsync(repo.dir, [...FOLLOW, '--worker', 'follower'])
    await waitFor('the follower to wait', () => /waiting: nothing claimable \(empty\)/.test(follower.output()))
    seed(repo.dir, [{id: 'late/one', team: 'default', run: {command: accepting()}}])
    await waitFor('the seeded node to be run', () => /proven_accepted late\/one/.test(follower.output()))
    // still there: a node that runs until stopped
    seed(repo.dir, [{id: 'late/two', team: 'default', run: {command: FOREVER}}])
    await waitFor('late/two to run', () => runDirs(repo.dir).some((run) => existsSync(join(repo.dir, '.git/rigor/runs', run, 'out/ready'))))
    follower.kill('SIGTERM')
    const done = await follower
    expect(done.code, done.stderr).toBe(143)
    expect(done.stdout).toMatch(/follower: ran 1 node\(s\) \(1 proven_accepted\); stopped: interrupted; 1 put back/)
    await expectNothingLeft(repo.dir)
    expect(status()).toMatchObject({proven_accepted: 1, pending: 1, running: 0})
  })

  it('with --remote: picks up a node another clone seeded, fetching on its interval', async () => {
    repo = workspace()
    scratch = mkdtempSync(join(tmpdir(), 'rigor-follow-'))
    const git = (cwd: string, ...args: string[]) => execFileSync('git', args, {cwd, env: {...process.env, ...GIT_ENV}, encoding: 'utf8'})
    const bare = join(scratch, 'remote.git')
    git(scratch, 'clone', '-q', '--bare', repo.dir, bare)
    const [seeder, worker] = ['seeder', 'worker'].map((name) => {
      git(scratch!, 'clone', '-q', bare, join(scratch!, name))
      return join(scratch!, name)
    }) as [string, string]
    const follower = rigorAsync(worker, ['work', '--follow', '--remote', 'origin', '--poll', '1s', '--worker', 'follower'])
    await waitFor('the follower to wait', () => /waiting: nothing claimable \(empty\)/.test(follower.output()))
    seed(seeder, [{id: 'far/one', team: 'default', run: {command: accepting()}}], ['--remote', 'origin'])
    await waitFor('the follower to run far/one', () => /proven_accepted far\/one/.test(follower.output()))
    follower.kill('SIGTERM')
    expect((await follower).code).toBe(143)
    expect(status(seeder, '--remote', 'origin')).toMatchObject({proven_accepted: 1, running: 0})
    await expectNothingLeft(worker, '--remote', 'origin')
  })

  // the follower waited out an unreachable remote only when claiming: a run that ended while the remote was away
  // failed its verdict's fetch, and the worker left with an error, its finished run thrown away and its claim held
  it('with --remote: a verdict that ends while the remote is away waits for it and lands once it is back', async () => {
    const {bare, worker} = workerCloneOfBareRemote()
    const gate = join(scratch, 'finish')
    seed(worker, [{id: 'far/one', team: 'default', run: {command: accepting(gate), sandbox: 'off'}}], ['--remote', 'origin'])
    const args = ['work', '--follow', '--remote', 'origin', '--poll', '1s', '--max-nodes', '1', '--worker', 'follower']
    const follower = rigorAsync(worker, args)
    leftRunning = follower
    let exited = false
    void follower.then(() => (exited = true))
    const alive = (what: string, condition: () => boolean) => () => {
      if (exited) throw new Error(`the follower left before ${what}:\n${follower.output()}`)
      return condition()
    }
    await waitFor(
      'far/one to run',
      alive('it ran far/one', () => runDirs(worker).length === 1),
    )
    renameSync(bare, `${bare}.away`)
    writeFileSync(gate, '')
    await waitFor(
      'the follower to wait for the remote',
      alive('it waited', () => /waiting: the remote is unreachable/.test(follower.output())),
    )
    renameSync(`${bare}.away`, bare)
    await waitFor(
      'the verdict to land',
      alive('the verdict landed', () => /proven_accepted far\/one/.test(follower.output())),
    )
    follower.kill('SIGTERM')
    await follower
    expect(status(worker, '--remote', 'origin')).toMatchObject({proven_accepted: 1, running: 0})
    await expectNothingLeft(worker, '--remote', 'origin')
  })
})

// stopped while it waited for the remote, the follower left with exit 1 (the claim it was making failed) instead of
// the signal's code, which systemd (SuccessExitStatus=143) and Slurm read as a failure
describe('rigor work --follow stopped while the remote is unreachable', {timeout: SLOW}, () => {
  it("exits with the signal's code (143 for SIGTERM) and names the claim it could not put back", async () => {
    const {bare, worker} = workerCloneOfBareRemote()
    seed(worker, [{id: 'far/long', team: 'default', run: {command: FOREVER}}], ['--remote', 'origin'])
    // a second slot claims, and says when it finds the remote gone
    const args = ['work', '--follow', '--remote', 'origin', '--poll', '1s', '--parallel', '2', '--worker', 'follower']
    const follower = rigorAsync(worker, args)
    leftRunning = follower
    await waitFor('far/long to run', () => runDirs(worker).some((run) => existsSync(join(worker, '.git/rigor/runs', run, 'out/ready'))))
    renameSync(bare, `${bare}.away`)
    await waitFor('the follower to wait for the remote', () => /waiting: the remote is unreachable/.test(follower.output()))
    follower.kill('SIGTERM')
    const done = await follower
    expect(done.code, done.stdout + done.stderr).toBe(143)
    expect(done.stdout).toMatch(/follower: ran 0 node\(s\); stopped: interrupted/)
    const said = done.stderr.replace(/\s*›\s*/g, ' ')
    expect(said).toMatch(
      /the remote could not be reached to put the claims back \(git fetch origin failed: .*\): still claimed by follower: far\/long/,
    )
    expect(said).toMatch(/They go back to pending once their lease expires \(within 15m\)/)
    // its runner stopped all the same; the claim is left to its lease, as the warning says
    await waitFor('no process left in the workspace', () => processesIn(worker).length === 0)
    expect(runDirs(worker)).toEqual([])
    renameSync(`${bare}.away`, bare)
    expect(status(worker, '--remote', 'origin')).toMatchObject({running: 1})
  })
})

// not following, a worker whose remote went away left with git's error alone: it did not say that the node whose run
// had just ended (its verdict unrecorded) was still claimed by it, nor how that claim comes back
describe('rigor work --remote (not following) when the remote goes away', {timeout: SLOW}, () => {
  it('fails naming the claim it could not record or put back, and how it comes back, the error said once', async () => {
    const {bare, worker} = workerCloneOfBareRemote()
    const gate = join(scratch!, 'finish')
    seed(worker, [{id: 'far/one', team: 'default', run: {command: accepting(gate), sandbox: 'off'}}], ['--remote', 'origin'])
    const run = rigorAsync(worker, ['work', '--remote', 'origin', '--worker', 'w'])
    leftRunning = run
    await waitFor('far/one to run', () => runDirs(worker).length === 1)
    renameSync(bare, `${bare}.away`)
    writeFileSync(gate, '')
    const done = await run
    renameSync(`${bare}.away`, bare)
    expect(done.code, done.stdout + done.stderr).toBe(1)
    const said = done.stderr.replace(/\s*›\s*/g, ' ')
    expect(said).toMatch(/git fetch origin failed: .*does not appear to be a git repository/)
    expect(said).toMatch(/still claimed by w: far\/one/)
    expect(said).toMatch(/They go back to pending once their lease expires \(within 15m\)/)
    expect(said).toMatch(/Fix: check that the remote origin is reachable/)
    expect(done.stdout.match(/error in slot 0/g) ?? []).toHaveLength(1)
    expect(status(worker, '--remote', 'origin')).toMatchObject({running: 1})
  })
})

describe.skipIf(!hasTmux)('rigor work --follow under a terminal', {timeout: SLOW}, () => {
  it('the live display waits, runs what is seeded, and Ctrl-C leaves with 130 and nothing held', async () => {
    repo = workspace()
    tmuxSocket = `rigor-follow-${process.pid}-${Math.random().toString(16).slice(2)}`
    const rcFile = join(repo.dir, '.git', 'rc.txt')
    const env = Object.entries({...GIT_ENV, RIGOR_TEST_RC: rcFile}).map(([k, v]) => `${k}=${quote(v)}`)
    const argv = [process.execPath, join(FIXTURES, 'exit-code-wrapper.cjs'), process.execPath, BIN, ...FOLLOW, '--parallel', '2']
    const tmux = (...a: string[]) => execFileSync('tmux', ['-L', tmuxSocket!, ...a], {encoding: 'utf8'})
    tmux(
      'new-session',
      '-d',
      '-s',
      'follow',
      '-x',
      '150',
      '-y',
      '40',
      `cd ${quote(repo.dir)} && exec env ${env.join(' ')} ${argv.map(quote).join(' ')}`,
    )
    const pane = () => tmux('capture-pane', '-p', '-t', 'follow')
    await waitFor('the display to say it waits', () => /waiting: nothing claimable \(empty\)/.test(pane()))
    seed(repo.dir, [
      {id: 't/one', team: 'default', run: {command: accepting()}},
      {id: 't/two', team: 'default', run: {command: FOREVER}},
    ])
    await waitFor('t/one done and t/two running', () => /1 finished: 1 accepted/.test(pane()) && /running t\/two/.test(pane()))
    tmux('send-keys', '-t', 'follow', 'C-c')
    await waitFor('rigor work to exit', () => existsSync(rcFile))
    expect(readFileSync(rcFile, 'utf8').trim()).toBe('130')
    expect(pane()).toContain('stopped: interrupted; 1 put back')
    // the wrapper keeps the pane open for capture-pane: it goes with the server
    spawnSync('tmux', ['-L', tmuxSocket, 'kill-server'])
    tmuxSocket = undefined
    await expectNothingLeft(repo.dir)
    expect(status()).toMatchObject({proven_accepted: 1, pending: 1})
  })
})
