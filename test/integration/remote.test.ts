import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, rigorAsync} from '../helpers/cli.js'
import {GIT_ENV} from '../helpers/git-repo.js'
import {SH_OK} from '../fixtures/runners.js'
import {manyNodes, workspace, writeSpec} from './helpers.js'

const FIXTURES = resolve(__dirname, '../fixtures')
let root: string
afterEach(() => rmSync(root, {recursive: true, force: true}))

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, {cwd, env: {...process.env, ...GIT_ENV}, encoding: 'utf8'}).trim()
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A bare remote holding a seeded workspace, and `n` clones of it. */
function remoteWithClones(n: number, spec: unknown, config?: string): {bare: string; clones: string[]} {
  const origin = workspace()
  root = mkdtempSync(join(tmpdir(), 'rigor-remote-'))
  if (config) {
    execFileSync('sh', ['-c', `cat > rigor.yaml <<'EOF'\n${config}\nEOF`], {cwd: origin.dir})
    origin.git('commit', '-qam', 'config')
  }
  writeSpec(origin.dir, spec)
  expect(rigor(origin.dir, ['seed', 'spec.yaml']).code).toBe(0)
  const bare = join(root, 'remote.git')
  git(root, 'clone', '-q', '--bare', origin.dir, bare)
  origin.cleanup()
  const clones = Array.from({length: n}, (_, i) => {
    const dir = join(root, `clone${i}`)
    git(root, 'clone', '-q', bare, dir)
    return dir
  })
  return {bare, clones}
}

function countActions(bare: string, action: string): Map<string, number> {
  const counts = new Map<string, number>()
  for (const message of git(bare, 'log', '--format=%B%x00', 'main').split('\0')) {
    if (!new RegExp(`^Rigor-Action: ${action}$`, 'm').test(message)) continue
    const node = /^Rigor-Node: (.+)$/m.exec(message)?.[1]
    if (node) counts.set(node, (counts.get(node) ?? 0) + 1)
  }
  return counts
}

describe('many machines, one git remote', () => {
  it('4 clones x 2 workers on 300 nodes: each claimed and run once, every verdict on the remote', {timeout: 900_000}, async () => {
    const {bare, clones} = remoteWithClones(4, manyNodes(300, SH_OK))
    const workers = clones.flatMap((dir, i) =>
      [0, 1].map((j) => rigorAsync(dir, ['work', '--remote', 'origin', '--worker', `c${i}w${j}`, '--json'])),
    )
    const results = await Promise.all(workers)
    for (const r of results) expect(r.code, r.stderr).toBe(0)
    expect(results.map((r) => json(r).finished as number).reduce((a, b) => a + b, 0)).toBe(300)
    const claims = countActions(bare, 'claim')
    const verdicts = countActions(bare, 'verdict')
    for (let i = 0; i < 300; i++) {
      const id = `bulk/n${String(i).padStart(4, '0')}`
      expect(claims.get(id), id).toBe(1)
      expect(verdicts.get(id), id).toBe(1)
    }
    const fresh = join(root, 'fresh')
    git(root, 'clone', '-q', bare, fresh)
    expect(rigor(fresh, ['verify']).code).toBe(0)
    expect(json(rigor(fresh, ['status', '--json'])).by_status.proven_accepted).toBe(300)
    expect(existsSync(join(fresh, 'experiments/bulk/n0000/out/verdict.json'))).toBe(true)
    for (const dir of clones) expect(git(dir, 'status', '--porcelain')).toBe('')
  })

  it('a worker killed in one clone is re-queued by a supervisor in another and finished once', async () => {
    const config = `version: 1\nteams: [{name: default}]\ngates: [{name: g, accept_when: 'metrics.sharpe > 0.0'}]\nlease: {duration: 3s, max_attempts: 3}`
    // no sandbox: the runner writes its pid under the host's /tmp, which a sandbox hides
    const {bare, clones} = remoteWithClones(
      2,
      {nodes: [{id: 'k/victim', team: 'default', run: {command: ['node', join(FIXTURES, 'slow-runner.cjs')], sandbox: 'off'}}]},
      config,
    )
    const pids = join(root, 'pids.txt')
    const doomed = rigorAsync(clones[0]!, ['work', '--remote', 'origin', '--worker', 'doomed'], {
      RIGOR_TEST_SLEEP_MS: '60000',
      RIGOR_PIDS_FILE: pids,
    })
    for (let i = 0; i < 150 && !existsSync(pids); i++) await sleep(100)
    doomed.kill('SIGKILL')
    await doomed
    for (const pid of readFileSync(pids, 'utf8').trim().split('\n').map(Number)) {
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

  it('an unknown remote is a usage error with the fix', () => {
    const {clones} = remoteWithClones(1, manyNodes(1, SH_OK))
    const result = rigor(clones[0]!, ['claim', '--remote', 'nowhere'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('git remote add nowhere')
  })
})
