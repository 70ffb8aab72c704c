/**
 * The copies rigor keeps under .git/rigor by what they hold: committed data
 * files and their research cuts (data/) and directory views of sealed data
 * (views/); inputs/ is where earlier versions staged an audit's inputs, and
 * is emptied the same way. Each is made once and shared
 * by every run that needs the same one, so no run removes one when it ends;
 * without pruning, a workspace whose data file changes every day would keep
 * every day's copies (and cuts) for ever.
 *
 * Each use refreshes a copy's time, at most once an hour (a `stat` its user
 * made anyway, and a `utimes` when the time is old), and `verify`, `supervise`
 * and `cycle` remove the copies unused for four weeks: longer than any run may
 * last (a run's timeout is at most 24 days), so no run that took a copy up is
 * still reading it. A copy is a cache: one removed is made again from git when
 * a run needs it. One that a run takes up in the very instant it is removed
 * after four weeks unused is the one race left: the pruner renames it aside,
 * looks at its time again and puts it back if it was refreshed; the run that
 * still loses fails to start, and nothing it would have recorded is wrong.
 */
import {randomBytes} from 'node:crypto'
import {lstatSync, readdirSync, renameSync, rmSync, statSync, utimesSync} from 'node:fs'
import {join} from 'node:path'

export const KEPT_COPY_DIRS = ['data', 'views', 'inputs'] as const

const HOUR_MS = 3600_000
/** A copy unused this long is removed: beyond the longest timeout a run may have (24 days, validation.ts). */
export const UNUSED_COPY_MAX_AGE_MS = 28 * 24 * HOUR_MS
/** A writer's temporary file (`.tmp`) this old belongs to a process that died before renaming it. */
const TEMP_COPY_MAX_AGE_MS = 24 * HOUR_MS
/** A use refreshes a copy's time only when it is older than this: most uses cost no write. */
const REFRESH_AFTER_MS = HOUR_MS

/**
 * Whether the kept copy at `path` is there as a `kind` (links followed), its
 * time refreshed for this use when old. False when it is missing, or was
 * removed in the meantime: the caller makes it again.
 */
export function reuseKeptCopy(path: string, kind: 'file' | 'dir', now = Date.now()): boolean {
  let info: ReturnType<typeof statSync>
  try {
    info = statSync(path, {throwIfNoEntry: false})
  } catch {
    return false
  }
  if (!info || !(kind === 'file' ? info.isFile() : info.isDirectory())) return false
  if (now - info.mtimeMs < REFRESH_AFTER_MS) return true
  try {
    const seconds = now / 1000
    utimesSync(path, seconds, seconds)
  } catch (err) {
    // gone (a pruner took it): made again; any other refusal (another user's repository) leaves a copy that works
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
  }
  return true
}

export interface PruneOptions {
  now?: number
  /** unused longer than this is removed (default four weeks) */
  maxUnusedMs?: number
}

/** Removes the kept copies unused for four weeks (and writers' leftovers a day old); returns them as `<dir>/<name>`. */
export function pruneKeptCopies(commonDir: string, opts: PruneOptions = {}): string[] {
  const now = opts.now ?? Date.now()
  const maxUnused = opts.maxUnusedMs ?? UNUSED_COPY_MAX_AGE_MS
  const removed: string[] = []
  for (const kind of KEPT_COPY_DIRS) {
    const dir = join(commonDir, 'rigor', kind)
    let names: string[]
    try {
      names = readdirSync(dir)
    } catch {
      continue
    }
    for (const name of names.sort()) {
      const limit = name.endsWith('.tmp') ? Math.min(TEMP_COPY_MAX_AGE_MS, maxUnused) : maxUnused
      if (removeIfUnused(join(dir, name), now, limit)) removed.push(`${kind}/${name}`)
    }
  }
  return removed
}

function removeIfUnused(path: string, now: number, limit: number): boolean {
  const age = (at: string): number | undefined => {
    try {
      return now - lstatSync(at).mtimeMs
    } catch {
      return undefined
    }
  }
  const before = age(path)
  if (before === undefined || before < limit) return false
  // aside first, under a name no user looks for; then looked at again: a use in between refreshed it, and it goes back
  const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.pruning.tmp`
  try {
    renameSync(path, aside)
  } catch {
    return false // gone already: another pruner, or its maker replaced it
  }
  const after = age(aside)
  if (after !== undefined && after < limit) {
    try {
      renameSync(aside, path)
      return false
    } catch {
      // made again meanwhile under its own name: this one is a spare
    }
  }
  rmSync(aside, {recursive: true, force: true})
  return true
}

/** The line `verify`, `supervise` and `cycle` print for what pruneKeptCopies removed; undefined when nothing. */
export function describeRemovedCopies(removed: readonly string[]): string | undefined {
  if (removed.length === 0) return undefined
  const shown = removed.slice(0, 5).join(', ')
  const more = removed.length > 5 ? ` and ${removed.length - 5} more` : ''
  return `removed ${removed.length} cop${removed.length === 1 ? 'y' : 'ies'} unused for four weeks from .git/rigor: ${shown}${more}`
}
