import {lstat, readdir, unlink} from 'node:fs/promises'
import {join} from 'node:path'
import {isAlive} from '../proc.js'

/**
 * rigor writes each loose object to a temporary file, then renames it into
 * place. A process killed in between (SIGKILL, a full disk) leaves the file.
 * Named with git's own prefix `tmp_obj_`, it is ignored by `git fsck` and
 * removed by `git prune` (and so by `git gc`, after two weeks); rigor's own
 * `verify` and `supervise` remove them sooner, along with the `tmp_rigor_`
 * files of rigor versions before it used git's prefix.
 */
export const TEMP_OBJECT_PREFIX = 'tmp_obj_rigor_'
const LEFTOVER = /^(?:tmp_obj_rigor_|tmp_rigor_)(\d+)_/
const FAN_OUT = /^[0-9a-f]{2}$/

/** A temp file younger than this may belong to a writer about to rename it. */
export const TEMP_OBJECT_MIN_AGE_MS = 10 * 60_000
/** ...and one older than this is stale even if a process with the writer's pid is alive (pids are reused). */
export const TEMP_OBJECT_MAX_AGE_MS = 24 * 3600_000

export interface TempCleanOptions {
  now?: number
  /** whether the process that wrote the file may still be writing (default: a live pid on this machine) */
  isAlive?: (pid: number) => boolean
}

/** Removes rigor's stale temporary object files; returns their paths relative to the objects directory. */
export async function removeStaleTempObjects(objectsDir: string, opts: TempCleanOptions = {}): Promise<string[]> {
  const now = opts.now ?? Date.now()
  const alive = opts.isAlive ?? ((pid: number) => Number.isSafeInteger(pid) && pid > 0 && isAlive(pid))
  const removed: string[] = []
  let fanOut: string[]
  try {
    fanOut = (await readdir(objectsDir)).filter((name) => FAN_OUT.test(name))
  } catch {
    return removed
  }
  for (const dir of fanOut) {
    let names: string[]
    try {
      names = await readdir(join(objectsDir, dir))
    } catch {
      continue
    }
    for (const name of names) {
      const match = LEFTOVER.exec(name)
      if (!match) continue
      const file = join(objectsDir, dir, name)
      try {
        const info = await lstat(file)
        const age = now - info.mtimeMs
        // a writer renames its file right after writing it: only a dead writer's, or a very old, file is stale
        if (!info.isFile() || age < TEMP_OBJECT_MIN_AGE_MS) continue
        if (age < TEMP_OBJECT_MAX_AGE_MS && alive(Number(match[1]))) continue
        await unlink(file)
        removed.push(`${dir}/${name}`)
      } catch {
        // gone already (renamed or removed by another cleaner)
      }
    }
  }
  return removed
}
