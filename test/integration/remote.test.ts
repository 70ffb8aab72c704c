import {execFileSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, rigorAsync} from '../helpers/cli.js'
import {SH_GATED, SH_OK} from '../fixtures/runners.js'
import {runDirs, waitFor} from '../helpers/processes.js'
import {manyNodes, nodeSpec} from './helpers.js'
import {countActions, git, remoteWithClones, removeRoot} from './remote-helpers.js'

const NODES = 24
let root: string | undefined
afterEach(() => removeRoot(root))

describe('many machines, one git remote', () => {
  // 6 workers in 3 clones race for every node from the first to the last: what could go wrong (a node claimed twice,
  // a verdict lost in a push race) happens at the first races as at the thousandth, so 24 nodes show it as 300 did
  it('3 clones x 2 workers on 24 nodes: each claimed and run once, every verdict on the remote', {timeout: 300_000}, async () => {
    const made = remoteWithClones(3, manyNodes(NODES, SH_OK))
    root = made.root
    const {bare, clones} = made
    const workers = clones.flatMap((dir, i) =>
      [0, 1].map((j) => rigorAsync(dir, ['work', '--remote', 'origin', '--worker', `c${i}w${j}`, '--json'])),
    )
    const results = await Promise.all(workers)
    for (const r of results) expect(r.code, r.stderr).toBe(0)
    expect(results.map((r) => json(r).finished as number).reduce((a, b) => a + b, 0)).toBe(NODES)
    const claims = countActions(bare, 'claim')
    const verdicts = countActions(bare, 'verdict')
    for (let i = 0; i < NODES; i++) {
      const id = `bulk/n${String(i).padStart(4, '0')}`
      expect(claims.get(id), id).toBe(1)
      expect(verdicts.get(id), id).toBe(1)
    }
    const fresh = join(root, 'fresh')
    git(root, 'clone', '-q', bare, fresh)
    expect(rigor(fresh, ['verify']).code).toBe(0)
    expect(json(rigor(fresh, ['status', '--json'])).by_status.proven_accepted).toBe(NODES)
    expect(existsSync(join(fresh, 'experiments/bulk/n0000/out/verdict.json'))).toBe(true)
    for (const dir of clones) expect(git(dir, 'status', '--porcelain')).toBe('')
  })

  // a hook (a branch protection, a read-only remote) refuses every push alike: retried as a lost race, it took 1000
  // rounds of fetch and push, then blamed other writers
  it('a remote that refuses the push is a failure at once that names the refusal and the fix, the remote untouched', () => {
    const made = remoteWithClones(1, manyNodes(1, SH_OK))
    root = made.root
    const {bare, clones} = made
    const hook = join(bare, 'hooks', 'pre-receive')
    writeFileSync(hook, '#!/bin/sh\necho "this branch is protected" >&2\nexit 1\n')
    chmodSync(hook, 0o755)
    const before = git(bare, 'rev-parse', 'main')
    const result = rigor(clones[0]!, ['claim', '--remote', 'origin', '--json'])
    expect(result.code, result.stderr).toBe(1)
    const {error} = json(result)
    expect(error.type).toBe('GitFailedError')
    expect(error.message).toContain('pre-receive hook declined')
    expect(error.message).toContain('this branch is protected')
    expect(error.fix).toContain('git push origin main')
    expect(git(bare, 'rev-parse', 'main')).toBe(before)
  })

  // a human's force-push that rewound the remote branch was taken in silence: the workers claimed and ran again the
  // nodes whose verdicts the rewind dropped, and pushed on the rewound branch
  it('a remote branch rewound by a force-push is refused, naming both fixes, and nothing runs again', () => {
    const made = remoteWithClones(1, manyNodes(2, SH_OK))
    root = made.root
    const {bare, clones} = made
    const clone = clones[0]!
    const seeded = git(bare, 'rev-parse', 'main')
    expect(rigor(clone, ['work', '--remote', 'origin']).code).toBe(0)
    const ran = git(bare, 'rev-parse', 'main')
    // what `git push --force origin <seeded>:main` does to the remote
    git(bare, 'update-ref', 'refs/heads/main', seeded)
    const result = rigor(clone, ['work', '--remote', 'origin', '--json'])
    expect(result.code, result.stderr).toBe(1)
    const {error} = json(result)
    expect(error.message).toContain('origin/main was rewound')
    expect(error.message).toContain(ran)
    expect(error.fix).toContain(`git push --force-with-lease=refs/heads/main:${seeded} origin ${ran}:refs/heads/main`)
    expect(error.fix).toContain('git fetch origin +refs/heads/main:refs/remotes/origin/main')
    expect(git(bare, 'rev-parse', 'main')).toBe(seeded)
    // every later command says the same until one of the fixes is taken
    expect(rigor(clone, ['status', '--remote', 'origin']).code).toBe(1)
    git(clone, 'push', '-q', `--force-with-lease=refs/heads/main:${seeded}`, 'origin', `${ran}:refs/heads/main`)
    expect(rigor(clone, ['verify', '--remote', 'origin']).code).toBe(0)
    expect(json(rigor(clone, ['work', '--remote', 'origin', '--json'])).finished).toBe(0)
    for (const id of ['bulk/n0000', 'bulk/n0001']) expect(countActions(bare, 'verdict').get(id), id).toBe(1)
    // a rewind that was meant is taken with the fetch the fix names
    git(bare, 'update-ref', 'refs/heads/main', seeded)
    expect(rigor(clone, ['status', '--remote', 'origin']).code).toBe(1)
    git(clone, 'fetch', '-q', 'origin', '+refs/heads/main:refs/remotes/origin/main')
    expect(json(rigor(clone, ['status', '--remote', 'origin', '--json'])).by_status.pending).toBe(2)
  })

  // a fetch that read the remote's tip just before another process of the clone (a push that landed, a later fetch;
  // in a worker, another slot's) moved the tracking ref past it was refused as a rewind ('origin/main was rewound:
  // its tip X does not contain X'): in 3 clones x 4 slots a worker left with exit 1 within seconds
  it('a fetch that read an older tip than the clone holds by now is no rewind', async () => {
    const made = remoteWithClones(2, manyNodes(2, SH_OK))
    root = made.root
    const [clone, other] = made.clones as [string, string]
    const [arm, arrived, gate, held] = ['arm', 'arrived', 'gate', 'held-upload-pack'].map((name) => join(made.root, name)) as [
      string,
      string,
      string,
      string,
    ]
    // the first fetch after arm is made: git (protocol v0 advertises the refs first) gets the tip it read once gate is made
    writeFileSync(
      held,
      `#!/bin/sh\nif [ -e '${arm}' ]; then rm -f '${arm}'\n  git-upload-pack "$@" | { touch '${arrived}'; while [ ! -e '${gate}' ]; do sleep 0.05; done; cat; }\n` +
        `else exec git-upload-pack "$@"; fi\n`,
    )
    chmodSync(held, 0o755)
    git(clone, 'config', 'remote.origin.uploadpack', held)
    git(clone, 'config', 'protocol.version', '0')
    writeFileSync(arm, '')
    const status = rigorAsync(clone, ['status', '--remote', 'origin', '--json'])
    await waitFor('the fetch to read the tip', () => existsSync(arrived))
    expect(rigor(other, ['claim', '--remote', 'origin', '--worker', 'other']).code).toBe(0)
    git(clone, 'fetch', '-q', 'origin')
    writeFileSync(gate, '')
    const result = await status
    expect(result.code, result.stderr).toBe(0)
    expect(json(result).by_status).toMatchObject({running: 1, pending: 1})
  })

  // with --remote every command looked for hand commits on the remote's branch only: a commit made over a checkout
  // rigor had not updated yet, which reverts verdicts, went unsaid in its clone until someone pushed it
  it('a local commit that reverts state files, not pushed yet, is warned of by every --remote command with the fix', () => {
    const made = remoteWithClones(1, manyNodes(2, SH_OK))
    root = made.root
    const clone = made.clones[0]!
    expect(rigor(clone, ['work', '--remote', 'origin']).code).toBe(0)
    // a plain git commit over an index still at the seed: the two verdicts removed
    git(clone, 'read-tree', 'HEAD~4')
    writeFileSync(join(clone, 'NOTES.md'), 'notes\n')
    git(clone, 'add', 'NOTES.md')
    git(clone, 'commit', '-qm', 'notes')
    const result = rigor(clone, ['status', '--remote', 'origin'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toContain('state file(s) were changed by commit(s) rigor did not make')
    expect(result.stderr).toContain('on main, not on origin')
    expect(result.stderr).toContain('rigor verify (without --remote)')
    // the remote's state is whole
    expect(json(rigor(clone, ['status', '--remote', 'origin', '--json'])).by_status.proven_accepted).toBe(2)
  })

  // a deleted remote branch was taken for an unchanged one (the clone's last fetch of it): commands read that stale
  // state as current, and a claim took 1000 rejected pushes (minutes) before blaming other writers
  it('a remote branch that was deleted or renamed is said at once, with how to put it back', () => {
    const made = remoteWithClones(1, manyNodes(1, SH_OK))
    root = made.root
    const {bare, clones} = made
    const clone = clones[0]!
    expect(rigor(clone, ['work', '--remote', 'origin']).code).toBe(0)
    const last = git(bare, 'rev-parse', 'main')
    git(bare, 'branch', '-m', 'main', 'renamed')
    const result = rigor(clone, ['claim', '--remote', 'origin', '--json'])
    expect(result.code, result.stderr).toBe(1)
    const {error} = json(result)
    expect(error.message).toContain('origin has no branch main')
    expect(error.fix).toContain(`git push origin ${last}:refs/heads/main`)
    expect(rigor(clone, ['status', '--remote', 'origin']).code).toBe(1)
    git(clone, 'push', '-q', 'origin', `${last}:refs/heads/main`)
    expect(rigor(clone, ['status', '--remote', 'origin']).code).toBe(0)
  })

  it('a remote with no state branch yet (a new, empty repository) is named, with the push that starts it, not a missing rigor.yaml', () => {
    const made = remoteWithClones(1, manyNodes(1, SH_OK))
    root = made.root
    const empty = join(made.root, 'empty.git')
    git(made.root, 'init', '-q', '--bare', empty)
    const clone = made.clones[0]!
    git(clone, 'remote', 'add', 'team', empty)
    const result = rigor(clone, ['status', '--remote', 'team', '--json'])
    expect(result.code, result.stderr).toBe(2)
    const {error} = json(result)
    expect(error.message).toBe('team has no branch main: the shared state starts from a workspace pushed there')
    expect(error.fix).toContain('git push team main')
    git(clone, 'push', '-q', 'team', 'main')
    expect(rigor(clone, ['status', '--remote', 'team']).code).toBe(0)
  })

  // a clone rigor had never synced took the remote's tip as what its files were at: every node file another clone's
  // claim had changed read as an uncommitted edit, was warned of, and its node was not claimed from there
  it('a fresh clone does not take nodes another clone changed for its own edits', () => {
    const made = remoteWithClones(2, {nodes: [nodeSpec('e/one'), nodeSpec('e/two')]})
    root = made.root
    const [first, second] = made.clones as [string, string]
    expect(rigor(first, ['claim', '--remote', 'origin', '--worker', 'w1']).stdout.trim()).toBe('e/one')
    const claimed = rigor(second, ['claim', '--remote', 'origin', '--worker', 'w2'])
    expect(claimed.code, claimed.stderr).toBe(0)
    expect(claimed.stderr).not.toMatch(/uncommitted edits/)
    expect(claimed.stdout.trim()).toBe('e/two')
    expect(git(second, 'status', '--porcelain')).toBe('')
  })

  // the checkout follows the local branch, but its files were compared with the remote's tip: a seed committed
  // without --remote (on main, not on origin yet) read as uncommitted edits, with "commit or restore the file"
  it('a rigor commit on the local branch, not pushed yet, is not taken for uncommitted edits', () => {
    const made = remoteWithClones(1, {nodes: [nodeSpec('e/one')]})
    root = made.root
    const clone = made.clones[0]!
    writeFileSync(join(clone, 'local.yaml'), JSON.stringify({nodes: [nodeSpec('e/local')]}))
    expect(rigor(clone, ['seed', 'local.yaml']).code).toBe(0)
    const status = rigor(clone, ['status', '--remote', 'origin', '--json'])
    expect(status.code, status.stderr).toBe(0)
    expect(json(status).local_edits).toEqual([])
    const claimed = rigor(clone, ['claim', '--remote', 'origin'])
    expect(claimed.code, claimed.stderr).toBe(0)
    expect(claimed.stderr).not.toMatch(/uncommitted edits/)
    expect(claimed.stdout.trim()).toBe('e/one')
  })

  // each slot's watch fetched every 2 s on its own: a worker with --parallel 8 fetched 4 times a second from the remote
  it('the slots of one worker share the fetches that watch their runs: a second apart at least, not one per slot', async () => {
    const made = remoteWithClones(1, {nodes: [0, 1, 2, 3].map((i) => nodeSpec(`g/n${i}`, SH_GATED))})
    root = made.root
    const clone = made.clones[0]!
    const bin = join(root, 'bin')
    const log = join(root, 'fetches.log')
    mkdirSync(bin)
    const realGit = execFileSync('sh', ['-c', 'command -v git'], {encoding: 'utf8'}).trim()
    writeFileSync(join(bin, 'git'), `#!/bin/sh\n[ "$1" = fetch ] && date +%s%N >> '${log}'\nexec '${realGit}' "$@"\n`)
    chmodSync(join(bin, 'git'), 0o755)
    const worker = rigorAsync(clone, ['work', '--remote', 'origin', '--parallel', '4'], {PATH: `${bin}:${process.env.PATH}`})
    await waitFor(
      'the four runners to start',
      () => runDirs(clone).filter((run) => existsSync(join(clone, '.git/rigor/runs', run, 'out/started'))).length === 4,
    )
    const fetches = () =>
      readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((ns) => Number(BigInt(ns) / 1_000_000n))
    const before = fetches().length
    await waitFor('five fetches while the four run', () => fetches().length >= before + 5)
    const watching = fetches().slice(before)
    const gaps = watching.slice(1).map((at, i) => at - watching[i]!)
    expect(Math.min(...gaps), `ms between fetches: ${gaps.join(', ')}`).toBeGreaterThanOrEqual(900)
    writeFileSync(join(clone, 'gate'), '')
    const done = await worker
    expect(done.code, done.stderr).toBe(0)
  })

  it('an unknown remote is a usage error with the fix', () => {
    const made = remoteWithClones(1, manyNodes(1, SH_OK))
    root = made.root
    const {clones} = made
    const result = rigor(clones[0]!, ['claim', '--remote', 'nowhere'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('git remote add nowhere')
  })
})
