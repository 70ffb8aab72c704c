import {existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {hostname} from 'node:os'
import {join, resolve} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, rigorAsync} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {alive, expectNothingLeftIn, pidsWithEnv, readPids, runDirs, SLOW, sleep, waitFor} from '../helpers/processes.js'
import {hasTmux, isWrapper, rigorInTmux, type TmuxRigor} from '../helpers/tmux.js'
import {workspace, writeSpec} from './helpers.js'

let repo: TempRepo
let inTmux: TmuxRigor | undefined
afterEach(() => {
  inTmux?.kill()
  inTmux = undefined
  repo?.cleanup()
})

const FIXTURES = resolve(__dirname, '../fixtures')
const FOREVER = ['node', join(FIXTURES, 'forever-runner.cjs')]
const IGNORE_TERM = ['node', join(FIXTURES, 'ignore-term.cjs')]
const SLOW_RUNNER = ['node', join(FIXTURES, 'slow-runner.cjs')]

const runnersOf = (dir: string) => pidsWithEnv(`RIGOR_WORKSPACE=${dir}`)
const readyRuns = (dir: string) => runDirs(dir).filter((run) => existsSync(join(dir, '.git/rigor/runs', run, 'out/ready')))
const status = () => json(rigor(repo.dir, ['status', '--json'])).by_status

function seedCommitted(nodes: unknown[]): void {
  writeSpec(repo.dir, {nodes})
  expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
  repo.git('add', 'spec.yaml')
  repo.git('commit', '-qm', 'spec')
}

const forever = (count: number, extra: Record<string, unknown> = {}) =>
  Array.from({length: count}, (_, i) => ({id: `s/n${i}`, team: 'default', run: {command: FOREVER, ...extra}, params: {i}}))

/** After a graceful stop: every claim put back, no runner process (nor the runner helper), no run directory, a clean checkout. */
async function expectCleanStop(pending: number): Promise<void> {
  await waitFor('no runner process left', () => runnersOf(repo.dir).length === 0)
  // the runner helper shares rigor's working directory: it must have left with rigor
  await expectNothingLeftIn(repo.dir, isWrapper)
  expect(status()).toMatchObject({running: 0, pending})
  expect(runDirs(repo.dir)).toEqual([])
  expect(repo.git('status', '--porcelain')).toBe('')
}

/** `rigor work` under a real pseudo-terminal (a tmux pane), its exit code written to a file. */
function workInTmux(args: string[]): TmuxRigor {
  inTmux = rigorInTmux(repo.dir, args)
  return inTmux
}

/**
 * Seeds two runners that ignore SIGTERM (so the first stop waits for its grace period) as `<family>/stubborn0` and
 * `1`, runs `args` in a tmux pane until both started, presses Ctrl-C, waits for the stop to begin, presses it again,
 * and returns the exit code, the pane's text (one line) and the runners' pids.
 */
async function ctrlCTwice(args: string[], family: string): Promise<{code: string; said: string; pids: number[]}> {
  const pidsFile = join(repo.dir, '.git', 'pids.txt')
  seedCommitted(
    [0, 1].map((i) => ({
      id: `${family}/stubborn${i}`,
      team: 'default',
      run: {command: IGNORE_TERM, sandbox: 'off', env: {RIGOR_PIDS_FILE: `${pidsFile}${i}`}},
      params: {i},
    })),
  )
  const term = workInTmux(args)
  await waitFor('both runners started', () => readPids(`${pidsFile}0`).length === 2 && readPids(`${pidsFile}1`).length === 2)
  const pids = [...readPids(`${pidsFile}0`), ...readPids(`${pidsFile}1`)]
  term.keys('C-c')
  await waitFor('the first stop to begin', () => term.pane().includes('stopping'))
  term.keys('C-c')
  await waitFor(`rigor ${args[0]} to exit`, () => existsSync(term.rcFile))
  return {code: readFileSync(term.rcFile, 'utf8').trim(), said: term.pane().replace(/\s+/g, ' '), pids}
}

describe.skipIf(!hasTmux)('signals under a terminal', {timeout: SLOW}, () => {
  it('Ctrl-C on rigor work (listr2 progress, 4 sandboxed slots): exit 130, claims put back, runners gone, checkout clean', async () => {
    repo = workspace()
    seedCommitted(forever(6))
    const term = workInTmux(['work', '--parallel', '4'])
    await waitFor('4 runners ready', () => readyRuns(repo.dir).length === 4)
    expect(term.pane()).toContain('running s/n')
    term.keys('C-c')
    await waitFor('rigor work to exit', () => existsSync(term.rcFile))
    expect(readFileSync(term.rcFile, 'utf8').trim()).toBe('130')
    expect(term.pane()).toContain('stopped: interrupted; 4 put back')
    await expectCleanStop(6)
  })

  // the tally said 1 put back (the run it stopped) and the summary 3 (the two nodes of the batch no slot started too)
  it('Ctrl-C on rigor work --prefetch: the live tally and the summary count the same nodes put back', async () => {
    repo = workspace()
    seedCommitted(forever(3))
    const term = workInTmux(['work', '--prefetch', '3'])
    await waitFor('1 runner ready', () => readyRuns(repo.dir).length === 1)
    expect(status().running).toBe(3)
    term.keys('C-c')
    await waitFor('rigor work to exit', () => existsSync(term.rcFile))
    expect(readFileSync(term.rcFile, 'utf8').trim()).toBe('130')
    const pane = term.pane()
    expect(pane).toContain('stopped: interrupted; 3 put back')
    expect(pane).toMatch(/0 finished: 0 accepted, 0 rejected, 0 other; 3 put back; 0 running/)
    await expectCleanStop(3)
  })

  // SIGHUP (the terminal closed: a window shut, an ssh connection dropped) killed rigor outright: its claims stayed
  // running until their lease expired, and with them the runs
  it('closing the terminal (SIGHUP) stops rigor work as Ctrl-C does: claims put back, runners gone, checkout clean', async () => {
    repo = workspace()
    seedCommitted(forever(3))
    const term = workInTmux(['work', '--parallel', '2'])
    await waitFor('2 runners ready', () => readyRuns(repo.dir).length === 2)
    term.kill()
    inTmux = undefined
    await waitFor('the claims put back', () => status().running === 0)
    await expectCleanStop(3)
    // 129 (killed by SIGHUP): Node, resetting the closed terminal's modes as it exited, aborted (134) after the stop
    await waitFor('rigor work to exit', () => existsSync(term.rcFile))
    expect(readFileSync(term.rcFile, 'utf8').trim()).toBe('129')
  })

  it('closing the terminal of rigor run <pending id>: its claim put back, the runner gone, exit 129', async () => {
    repo = workspace()
    seedCommitted(forever(1))
    const term = workInTmux(['run', 's/n0'])
    await waitFor('the runner ready', () => readyRuns(repo.dir).length === 1)
    term.kill()
    inTmux = undefined
    await waitFor('rigor run to exit', () => existsSync(term.rcFile))
    expect(readFileSync(term.rcFile, 'utf8').trim()).toBe('129')
    await expectCleanStop(1)
    expect(json(rigor(repo.dir, ['show', 's/n0', '--json'])).attempt).toBe(0)
  })

  it('a second Ctrl-C leaves at once (exit 130) and still kills the runner groups it started', async () => {
    repo = workspace()
    const {code, said, pids} = await ctrlCTwice(['work', '--parallel', '2'], 's')
    expect(code).toBe('130')
    // it names what it leaves claimed and how that comes back, rather than leave without a word
    expect(said).toMatch(/left at once: still claimed by \S+: s\/stubborn[01], s\/stubborn[01]/)
    expect(said).toMatch(/back to pending once their lease expires \(within \d+\S*\) and `rigor supervise` runs/)
    await waitFor('the runner groups to be killed', () => !pids.some(alive))
    // and the runner helper with them (its terminal's Ctrl-C does not stop it: rigor does)
    await expectNothingLeftIn(repo.dir, isWrapper)
    // what it held is left to its lease and `rigor supervise`, as documented
    expect(status().running + status().pending).toBe(2)
  })
})

describe.skipIf(!hasTmux)('signals to rigor cycle under a terminal', {timeout: SLOW}, () => {
  it('a second Ctrl-C leaves at once (exit 130) and names what the work step still held', async () => {
    repo = workspace()
    writeFileSync(join(repo.dir, 'rigor.yaml'), 'version: 1\nteams: [{name: default}]\ncycle: {steps: [work, report]}\n')
    repo.git('commit', '-qam', 'a cycle that only works')
    const {code, said, pids} = await ctrlCTwice(['cycle', '--parallel', '2'], 'c')
    expect(code).toBe('130')
    expect(said).toMatch(/left at once: still claimed by cycle@\S+: c\/stubborn[01], c\/stubborn[01]/)
    await waitFor('the runner groups to be killed', () => !pids.some(alive))
    await expectNothingLeftIn(repo.dir, isWrapper)
  })
})

describe('signals with piped output', {timeout: SLOW}, () => {
  it('SIGTERM: exit 143, the --json summary still printed, every claim put back', async () => {
    repo = workspace()
    seedCommitted(forever(3))
    const worker = rigorAsync(repo.dir, ['work', '--parallel', '2', '--json'])
    await waitFor('2 runners ready', () => readyRuns(repo.dir).length === 2)
    worker.kill('SIGTERM')
    const done = await worker
    expect(done.code, done.stderr).toBe(143)
    expect(json(done)).toMatchObject({claimed: 2, released: 2, finished: 0, stopped_because: 'interrupted'})
    await expectCleanStop(3)
  })

  it('SIGHUP: exit 129, the --json summary still printed, every claim put back', async () => {
    repo = workspace()
    seedCommitted(forever(3))
    const worker = rigorAsync(repo.dir, ['work', '--parallel', '2', '--json'])
    await waitFor('2 runners ready', () => readyRuns(repo.dir).length === 2)
    worker.kill('SIGHUP')
    const done = await worker
    expect(done.code, done.stderr).toBe(129)
    expect(json(done)).toMatchObject({claimed: 2, released: 2, finished: 0, stopped_because: 'interrupted'})
    await expectCleanStop(3)
  })

  it('a runner stopped by the same SIGTERM a moment before its worker (Slurm scancel, systemd stop): its claim is put back, no verdict', async () => {
    repo = workspace()
    const pidsFile = join(repo.dir, '.git', 'pids.txt')
    // no sandbox: the runner writes its pid into .git, which a sandbox hides
    seedCommitted([{id: 's/slow', team: 'default', run: {command: SLOW_RUNNER, sandbox: 'off'}}])
    const worker = rigorAsync(repo.dir, ['work', '--json'], {RIGOR_TEST_SLEEP_MS: '60000', RIGOR_PIDS_FILE: pidsFile})
    await waitFor('the runner to start', () => readPids(pidsFile).length === 1)
    process.kill(readPids(pidsFile)[0]!, 'SIGTERM')
    await sleep(100)
    worker.kill('SIGTERM')
    const done = await worker
    expect(done.code, done.stderr).toBe(143)
    expect(json(done)).toMatchObject({claimed: 1, released: 1, finished: 0, stopped_because: 'interrupted'})
    await expectCleanStop(1)
  })

  it('a signal while claims are in flight (--parallel 4) puts back everything, round after round', async () => {
    repo = workspace()
    seedCommitted(forever(8))
    for (const [round, signal] of (['SIGINT', 'SIGTERM', 'SIGINT'] as const).entries()) {
      const worker = rigorAsync(repo.dir, ['work', '--parallel', '4', '--worker', `w${round}`])
      // stop as soon as the first claim lands: the other slots are still claiming
      const started = Date.now()
      await new Promise<void>((done) => {
        const timer = setInterval(() => {
          if (/claimed s\/n/.test(worker.output()) || Date.now() - started > 90_000) {
            clearInterval(timer)
            done()
          }
        }, 20)
      })
      worker.kill(signal)
      const result = await worker
      expect(result.code, `${signal} round ${round}: ${result.stdout}${result.stderr}`).toBe(signal === 'SIGINT' ? 130 : 143)
      const claimed = (result.stdout.match(/^claimed /gm) ?? []).length
      const released = (result.stdout.match(/^released /gm) ?? []).length
      expect(claimed).toBeGreaterThanOrEqual(1)
      expect(released).toBe(claimed)
      await expectCleanStop(8)
    }
  })
})

// a Ctrl-C after a seed's commit had landed, while the checkout was being brought to it, killed rigor halfway: the index
// stayed behind the branch (every seeded node file a staged deletion), so the user's next plain `git commit` reverted
// the seed
describe('a stop while the checkout follows a commit that landed', {timeout: SLOW}, () => {
  it('SIGINT to rigor seed: the checkout is brought to the commit first, then exit 130', async () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: forever(3)})
    repo.git('add', 'spec.yaml')
    repo.git('commit', '-qm', 'spec')
    const before = repo.git('rev-parse', 'main').trim()
    // the checkout's sync lock, held by this (live) process: the sync waits for it, a moment no race decides
    const lock = join(repo.dir, '.git', 'rigor', 'sync.lock')
    writeFileSync(lock, `${process.pid} ${hostname()} ${Date.now()}`)
    const seed = rigorAsync(repo.dir, ['seed', 'spec.yaml'])
    try {
      await waitFor('the seed commit to land', () => repo.git('rev-parse', 'main').trim() !== before)
      seed.kill('SIGINT')
    } finally {
      rmSync(lock, {force: true})
    }
    const done = await seed
    expect(repo.git('status', '--porcelain')).toBe('')
    expect(done.code, done.stderr).toBe(130)
    expect(repo.git('ls-files', 'experiments/s').trim().split('\n')).toHaveLength(3)
  })
})
