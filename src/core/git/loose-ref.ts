import {appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, unlinkSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {RefConflictError} from '../errors.js'
import type {ObjectFormat} from './object-format.js'
import type {RepoPaths} from './repo.js'
import {takeRefLock} from './ref-lock-owner.js'

/**
 * What moving a loose ref the way git's files backend does needs to know of the
 * repository, learned once (three git commands) and then used for every move.
 * undefined from `probe` when git must move the ref itself: refs kept in a
 * reftable, a reference-transaction hook to run, a shared repository's permissions.
 */
export interface LooseRefSetup {
  /** core.logAllRefUpdates: which refs get a reflog created (an existing one is always appended to) */
  reflog: 'normal' | 'always' | 'none'
  /** "Name <email>" for reflog entries, as git would write them */
  committer: string
}

export async function probeLooseRefs(
  paths: RepoPaths,
  git: (args: readonly string[]) => Promise<{stdout: string; exitCode: number}>,
): Promise<LooseRefSetup | undefined> {
  if (existsSync(join(paths.commonDir, 'reftable'))) return undefined
  const [hooks, config, ident] = await Promise.all([
    git(['rev-parse', '--path-format=absolute', '--git-path', 'hooks']),
    git(['config', '--get-regexp', '^core\\.(logallrefupdates|sharedrepository)$']),
    git(['var', 'GIT_COMMITTER_IDENT']),
  ])
  if (hooks.exitCode !== 0 || ident.exitCode !== 0) return undefined
  // git runs this hook for every ref transaction: only git can run it as git does
  if (existsSync(join(hooks.stdout.trim(), 'reference-transaction'))) return undefined
  // git's default in a checkout; a bare repository (no reflog by default) is refused when it opens (Repo.open)
  let reflog: LooseRefSetup['reflog'] = 'normal'
  for (const line of config.stdout.split('\n')) {
    const [key, value = ''] = line.trim().split(/\s+/, 2)
    if (key === 'core.sharedrepository' && !['', 'false', 'umask', '0'].includes(value.toLowerCase())) return undefined
    if (key === 'core.logallrefupdates')
      reflog = value === 'always' ? 'always' : ['false', 'no', 'off', '0'].includes(value) ? 'none' : 'normal'
  }
  const committer = /^(.*<[^>]*>)/.exec(ident.stdout.trim())?.[1]
  if (!committer) return undefined
  return {reflog, committer}
}

/** Refs that live in each worktree's own git dir rather than the shared one. */
const PER_WORKTREE = /^refs\/(worktree|bisect|rewritten)\//

/**
 * Moves a loose ref from `expected` to `next` as git's files backend does, in
 * this process: take `<ref>.lock` (created exclusively, so git and other rigor
 * processes exclude us and each other; naming this process, so that a kill
 * halfway leaves no lock that stays: ref-lock-owner.ts), compare under the lock, append the reflog entry,
 * rename the lock over the ref. A few system calls, where a `git update-ref`
 * round trip woke another process and waited for it on every commit.
 * 'git' when the ref is not a plain loose ref this can move (packed only, new,
 * symbolic, per-worktree): git moves it then. Throws RefConflictError when the
 * ref is not at `expected`, RefLockedError when another writer holds its lock.
 */
export function moveLooseRef(
  paths: RepoPaths,
  format: ObjectFormat,
  setup: LooseRefSetup,
  move: {ref: string; next: string; expected: string; message: string},
): 'moved' | 'git' {
  const {ref, next, expected} = move
  if (!ref.startsWith('refs/') || PER_WORKTREE.test(ref)) return 'git'
  const file = join(paths.commonDir, ref)
  const lock = `${file}.lock`
  // the lock holds the next value from the moment it exists
  const taken = takeRefLock(paths.commonDir, lock, `${next}\n`)
  if (!taken) return 'git'
  let renamed = false
  try {
    const current = readLooseRef(file)
    if (current === undefined || current.startsWith('ref:') || current.length !== format.hexLength) return 'git'
    if (current !== expected) throw new RefConflictError(ref)
    appendReflog(paths, setup, ref, `${expected} ${next} ${setup.committer} ${Math.floor(Date.now() / 1000)} +0000\t${move.message}\n`)
    renameSync(lock, file)
    renamed = true
    return 'moved'
  } finally {
    if (!renamed) unlinkSync(lock)
    taken.release()
  }
}

function readLooseRef(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim()
  } catch {
    return undefined
  }
}

function appendReflog(paths: RepoPaths, setup: LooseRefSetup, ref: string, entry: string): void {
  const logs = [
    {
      log: join(paths.commonDir, 'logs', ref),
      create: setup.reflog === 'always' || (setup.reflog === 'normal' && /^refs\/(heads|remotes|notes)\//.test(ref)),
    },
  ]
  // git logs a move of the branch this worktree has checked out under HEAD too
  if (headPointsAt(paths, ref)) logs.push({log: join(paths.gitDir, 'logs', 'HEAD'), create: setup.reflog !== 'none'})
  for (const {log, create} of logs) {
    if (!create && !existsSync(log)) continue
    try {
      appendFileSync(log, entry)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      // the logs directory of a branch that had no reflog yet
      mkdirSync(dirname(log), {recursive: true})
      appendFileSync(log, entry)
    }
  }
}

function headPointsAt(paths: RepoPaths, ref: string): boolean {
  try {
    return readFileSync(join(paths.gitDir, 'HEAD'), 'utf8').trim() === `ref: ${ref}`
  } catch {
    return false
  }
}
