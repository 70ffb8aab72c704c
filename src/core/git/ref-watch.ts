import {existsSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {watch, type FSWatcher} from 'chokidar'

export interface RefWatch {
  close(): Promise<void>
}

/**
 * Calls `onChange` when one of `refs` (full names such as refs/heads/main) may
 * have moved: its loose file or lock was written or renamed, packed-refs was
 * rewritten, its reflog was appended to, or (in a reftable repository) a table
 * changed. Directories are watched rather than the files, because git moves a
 * ref by renaming its lock over it, which a watch on the old file can miss; even
 * so an event can be missed, so callers also look again on a slow timer.
 * The events are not filtered for real moves: a caller re-reads the ref.
 */
export async function watchRefs(commonDir: string, refs: readonly string[], onChange: () => void): Promise<RefWatch> {
  const wanted = new Set<string>([join(commonDir, 'packed-refs')])
  const dirs = new Set<string>([commonDir])
  for (const ref of refs) {
    for (const file of [join(commonDir, ref), join(commonDir, 'logs', ref)]) {
      wanted.add(file)
      const dir = existingAncestor(dirname(file), commonDir)
      if (dir) dirs.add(dir)
    }
  }
  const reftable = join(commonDir, 'reftable')
  if (existsSync(reftable)) dirs.add(reftable)
  const watcher: FSWatcher = watch([...dirs], {ignoreInitial: true, depth: 0, persistent: true})
  watcher.on('all', (_event, path) => {
    const file = resolve(path)
    if (wanted.has(file) || wanted.has(file.replace(/\.lock$/, '')) || file.startsWith(`${reftable}/`)) onChange()
  })
  // a watch that cannot be set up (too many inotify watches) leaves the caller's timer to do the work
  watcher.on('error', () => {})
  await new Promise<void>((ready) => watcher.once('ready', ready))
  return {close: () => watcher.close()}
}

/** `dir`, or its nearest existing parent inside `root`: the ref's directory appears when the ref is first written loose. */
function existingAncestor(dir: string, root: string): string | undefined {
  for (let d = dir; d.startsWith(root); d = dirname(d)) if (existsSync(d)) return d
  return undefined
}
