import {execFileSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {RefConflictError} from '../../src/core/errors.js'
import {runGit} from '../../src/core/git/exec.js'
import {RemoteLink, transportDropped} from '../../src/core/git/remote.js'
import {Repo} from '../../src/core/git/repo.js'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'

/**
 * A signal aimed at rigor's whole process tree (Slurm's scancel and preemption
 * signal every process of a job; so does stopping a systemd unit) also kills the
 * git commands rigor runs to put its claims back. rigor never signals git itself,
 * so a git killed by a signal is run again, and a push killed halfway is judged by
 * what the remote holds. A wrapper `git` first on PATH kills itself with SIGTERM
 * the first time it runs $KILL_ON, before or (KILL_AFTER=1) after doing the work.
 */

const REAL_GIT = execFileSync('sh', ['-c', 'command -v git'], {encoding: 'utf8'}).trim()
let repo: TempRepo
let mark: string
const savedPath = process.env.PATH
const saved = {KILL_ON: process.env.KILL_ON, KILL_AFTER: process.env.KILL_AFTER, KILL_MARK: process.env.KILL_MARK}

beforeEach(() => {
  repo = gitRepo()
  repo.git('commit', '-q', '--allow-empty', '-m', 'first')
  const bin = join(repo.dir, '.git', 'wrapper-bin')
  mkdirSync(bin)
  mark = join(repo.dir, '.git', 'killed-once')
  writeFileSync(
    join(bin, 'git'),
    `#!/bin/bash
if [ "$1" = "$KILL_ON" ] && [ ! -e "$KILL_MARK" ]; then
  : > "$KILL_MARK"
  if [ -n "$KILL_AFTER" ]; then "${REAL_GIT}" "$@"; fi
  kill -TERM $$
fi
exec "${REAL_GIT}" "$@"
`,
  )
  chmodSync(join(bin, 'git'), 0o755)
  process.env.PATH = `${bin}:${savedPath}`
  process.env.KILL_MARK = mark
})
afterEach(() => {
  process.env.PATH = savedPath
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  repo.cleanup()
})

const killOn = (command: string, after = false) => {
  process.env.KILL_ON = command
  if (after) process.env.KILL_AFTER = '1'
  else delete process.env.KILL_AFTER
}

/**
 * `repo` with a bare remote `origin` by path (`git config` settings for it first, e.g. the remote end's program), and
 * a RemoteLink to its main branch; `tipOfRemote` reads the bare repository's main with the real git.
 */
async function withRemote(config: Record<string, string>, use: (link: RemoteLink, tipOfRemote: () => string) => Promise<void>) {
  const bare = join(repo.dir, '.git', 'remote.git')
  execFileSync(REAL_GIT, ['clone', '-q', '--bare', repo.dir, bare])
  repo.git('remote', 'add', 'origin', bare)
  for (const [key, value] of Object.entries(config)) repo.git('config', key, value)
  const opened = await Repo.open(repo.dir)
  try {
    await use(new RemoteLink(opened, 'origin', 'main'), () =>
      execFileSync(REAL_GIT, ['rev-parse', 'main'], {cwd: bare, encoding: 'utf8'}).trim(),
    )
  } finally {
    opened.close()
  }
}

/** The remote's end of a transfer run through the wrapper, by its path: git puts its own directory first on its children's PATH. */
const wrapped = (command: string) => `${join(repo.dir, '.git', 'wrapper-bin', 'git')} ${command}`

describe('git killed by a signal rigor did not send', () => {
  it('runGit runs it again; with rerunIfKilled: false it reports the signal', async () => {
    killOn('rev-parse')
    const head = await runGit(['rev-parse', 'HEAD'], {cwd: repo.dir})
    expect(existsSync(mark)).toBe(true)
    expect(head.stdout).toBe(repo.git('rev-parse', 'HEAD'))

    execFileSync('rm', [mark])
    const once = await runGit(['rev-parse', 'HEAD'], {cwd: repo.dir, allowFailure: true, rerunIfKilled: false})
    expect(once).toMatchObject({signal: 'SIGTERM', exitCode: 143})
  })

  it('a read from cat-file --batch is asked again of a new process', async () => {
    killOn('cat-file')
    const opened = await Repo.open(repo.dir)
    try {
      expect(await opened.readFileAt('HEAD', 'missing.txt')).toBeUndefined()
      expect(existsSync(mark)).toBe(true)
    } finally {
      opened.close()
    }
  })

  it('many reads asked of cat-file in one write are all asked again of a new process', async () => {
    for (let i = 0; i < 60; i++) writeFileSync(join(repo.dir, `f${i}.txt`), `file ${i}\n`)
    repo.git('add', '.')
    repo.git('commit', '-q', '-m', 'sixty files')
    // packed: git, not the loose reader, must answer them
    repo.git('gc', '-q', '--prune=now')
    const names = Array.from({length: 60}, (_, i) => `HEAD:f${i}.txt`)
    killOn('cat-file')
    const opened = await Repo.open(repo.dir)
    try {
      const objects = await opened.cat.readMany(names)
      expect(existsSync(mark)).toBe(true)
      expect(objects.map((o) => o?.body.toString('utf8'))).toEqual(names.map((_, i) => `file ${i}\n`))
    } finally {
      opened.close()
    }
  })

  it('a push killed after it landed is done; one killed before is a lost race, so the change is built again', async () => {
    await withRemote({}, async (link, tipOfRemote) => {
      const tip = await link.fetch()
      killOn('push', true)
      const landed = repo.git('commit-tree', `${tip}^{tree}`, '-p', tip!, '-m', 'landed')
      await link.push(landed, tip)
      expect(existsSync(mark)).toBe(true)
      expect(tipOfRemote()).toBe(landed)

      execFileSync('rm', [mark])
      killOn('push')
      const lost = repo.git('commit-tree', `${landed}^{tree}`, '-p', landed, '-m', 'never pushed')
      await expect(link.push(lost, landed)).rejects.toBeInstanceOf(RefConflictError)
      expect(tipOfRemote()).toBe(landed)
    })
  })

  it('a push killed after it landed is done even when another writer built on it before rigor looked', async () => {
    await withRemote({}, async (link, tipOfRemote) => {
      // the remote takes a commit of another clone on top of ours as soon as ours lands
      const hook = join(repo.dir, '.git', 'remote.git', 'hooks', 'post-receive')
      writeFileSync(
        hook,
        `#!/bin/sh
new=$(git rev-parse refs/heads/main)
other=$(git -c user.name=other -c user.email=other@example.com commit-tree "$new^{tree}" -p "$new" -m other)
git update-ref refs/heads/main "$other" "$new"
`,
      )
      chmodSync(hook, 0o755)
      const tip = await link.fetch()
      killOn('push', true)
      const landed = repo.git('commit-tree', `${tip}^{tree}`, '-p', tip!, '-m', 'landed')
      // a lost race here would build the change again: a claim that landed would be claimed twice
      await link.push(landed, tip)
      expect(existsSync(mark)).toBe(true)
      expect(execFileSync(REAL_GIT, ['rev-parse', `${tipOfRemote()}^`], {cwd: repo.dir, encoding: 'utf8'}).trim()).toBe(landed)
    })
  })

  it("a fetch whose remote end was killed (upload-pack: on a remote by path, rigor's grandchild) is run again", async () => {
    // killed the first time, before it sends anything
    killOn('upload-pack')
    await withRemote({'remote.origin.uploadpack': wrapped('upload-pack')}, async (link) => {
      expect(await link.fetch()).toBe(repo.git('rev-parse', 'HEAD'))
      expect(existsSync(mark)).toBe(true)
    })
  })

  it("git's words for a transfer whose other end went away, before it answered or in the middle of the pack", () => {
    // verbatim from a fetch whose upload-pack Slurm's scancel killed while it sent the pack (git 2.39); once read as a
    // lasting failure, it left the worker's claim held instead of put back
    const midPack = 'Terminated\nfetch-pack: unexpected disconnect while reading sideband packet\nfatal: protocol error: bad pack header'
    expect(transportDropped(midPack)).toBe(true)
    expect(transportDropped('fatal: the remote end hung up unexpectedly')).toBe(true)
    expect(transportDropped('fatal: early EOF\nfatal: index-pack failed')).toBe(true)
    // a remote that is not there is not a transfer cut short
    expect(transportDropped("fatal: '/nowhere' does not appear to be a git repository")).toBe(false)
    expect(transportDropped("fatal: couldn't find remote ref refs/heads/main")).toBe(false)
  })

  it('a push whose receiving end was killed before it took anything is pushed again (the remote shows it did not land)', async () => {
    await withRemote({'remote.origin.receivepack': wrapped('receive-pack')}, async (link, tipOfRemote) => {
      const tip = await link.fetch()
      killOn('receive-pack')
      const next = repo.git('commit-tree', `${tip}^{tree}`, '-p', tip!, '-m', 'next')
      await link.push(next, tip)
      expect(existsSync(mark)).toBe(true)
      expect(tipOfRemote()).toBe(next)
      // one that may never push: the same refusal every time, so after a few tries it is the error it was
      repo.git('config', 'remote.origin.receivepack', 'false')
      const refused = repo.git('commit-tree', `${next}^{tree}`, '-p', next, '-m', 'refused')
      await expect(link.push(refused, next)).rejects.toThrow(/git push origin failed/)
    })
  })

  it('an update-ref killed halfway: the ref says whether the compare-and-swap landed', async () => {
    killOn('update-ref')
    const opened = await Repo.open(repo.dir)
    try {
      const tip = repo.git('rev-parse', 'HEAD')
      const next = repo.git('commit-tree', `${tip}^{tree}`, '-p', tip, '-m', 'next')
      await opened.compareAndSwapRef('refs/heads/other', next, undefined)
      expect(existsSync(mark)).toBe(true)
      expect(repo.git('rev-parse', 'refs/heads/other')).toBe(next)
    } finally {
      opened.close()
    }
  })
})
