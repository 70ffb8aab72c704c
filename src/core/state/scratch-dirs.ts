/**
 * The private directories a command works in under .git/rigor/ (an audit's
 * cuts of the data files, a paper run's data and outputs, a deployment's
 * artifacts), each removed by its command when it ends. A command killed
 * first (SIGKILL, a crash, a Ctrl-C that rigor does not catch) leaves one, so
 * each is named with its process id, and `verify` and `supervise` remove those
 * of processes gone from this machine.
 */
import {randomBytes} from 'node:crypto'
import {readdir, rm, stat} from 'node:fs/promises'
import {join} from 'node:path'
import {isAlive} from '../proc.js'
import {removeStaleTempObjects, TEMP_OBJECT_MAX_AGE_MS, TEMP_OBJECT_MIN_AGE_MS, type TempCleanOptions} from '../git/temp-objects.js'
import {describeRemovedCopies, pruneKeptCopies} from './kept-copies.js'

export const SCRATCH_KINDS = ['audit', 'paper', 'deploy'] as const
export type ScratchKind = (typeof SCRATCH_KINDS)[number]

// <node id with / as __>.<pid>.<8 hex>; before pids were in the names, <id>.<8 hex>
const NAMED = /^[^/]+\.(\d+)\.[0-9a-f]{8}$/
const UNNAMED = /^[^/]+\.[0-9a-f]{8}$/

/** A new private directory of this process for `id` (a node id): not made yet. */
export const scratchDir = (commonDir: string, kind: ScratchKind, id: string): string =>
  join(commonDir, 'rigor', kind, `${id.replace(/\//g, '__')}.${process.pid}.${randomBytes(4).toString('hex')}`)

/**
 * Removes the private directories of processes no longer alive on this
 * machine, once 10 minutes old (a directory from before pids were in the
 * names: once a day old). Returns them as `<kind>/<name>`.
 */
export async function removeStaleScratch(commonDir: string, opts: TempCleanOptions = {}): Promise<string[]> {
  const now = opts.now ?? Date.now()
  const alive = opts.isAlive ?? ((pid: number) => Number.isSafeInteger(pid) && pid > 0 && isAlive(pid))
  const removed: string[] = []
  for (const kind of SCRATCH_KINDS) {
    const dir = join(commonDir, 'rigor', kind)
    const names = await readdir(dir).catch(() => [] as string[])
    for (const name of names) {
      const pid = NAMED.exec(name)?.[1]
      if (pid === undefined && !UNNAMED.test(name)) continue
      const path = join(dir, name)
      try {
        const age = now - (await stat(path)).mtimeMs
        const stale = pid === undefined ? age >= TEMP_OBJECT_MAX_AGE_MS : age >= TEMP_OBJECT_MIN_AGE_MS && !alive(Number(pid))
        if (!stale) continue
        await rm(path, {recursive: true, force: true})
        removed.push(`${kind}/${name}`)
      } catch {
        // gone already (its command ended, or another cleaner was first)
      }
    }
  }
  return removed
}

/** What `verify` and `supervise` removed of what crashes and time leave behind in the git directory. */
export interface GitDirCleanup {
  /** rigor's temporary object files a crash left in .git/objects (relative to it) */
  removed_temp_objects: string[]
  /** private directories of commands killed before they ended: `<kind>/<name>` */
  removed_scratch: string[]
  /** copies under .git/rigor unused for four weeks: `<dir>/<name>` (kept-copies.ts) */
  removed_copies: string[]
}

/** Removes stale temporary objects, killed commands' private directories and unused kept copies. */
export async function cleanGitDir(commonDir: string): Promise<GitDirCleanup> {
  return {
    removed_temp_objects: await removeStaleTempObjects(join(commonDir, 'objects')),
    removed_scratch: await removeStaleScratch(commonDir),
    removed_copies: pruneKeptCopies(commonDir),
  }
}

/** The lines saying what cleanGitDir removed (none when nothing). */
export function describeGitDirCleanup(cleanup: GitDirCleanup): string[] {
  const lines: string[] = []
  const temp = cleanup.removed_temp_objects.length
  if (temp) lines.push(`removed ${temp} stale temporary object file(s) from .git/objects`)
  const scratch = cleanup.removed_scratch
  if (scratch.length)
    lines.push(
      `removed ${scratch.length} director${scratch.length === 1 ? 'y' : 'ies'} of killed commands from .git/rigor: ${scratch.join(', ')}`,
    )
  const copies = describeRemovedCopies(cleanup.removed_copies)
  if (copies) lines.push(copies)
  return lines
}
