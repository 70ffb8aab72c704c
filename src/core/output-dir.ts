import {mkdir, stat} from 'node:fs/promises'
import {dirname, resolve} from 'node:path'
import {InputError} from './errors.js'

/** what each refusal of the file system means for a folder someone named; any other error is rigor's own */
const REFUSALS: Record<string, string> = {
  ENAMETOOLONG: 'a name in the path is longer than the file system allows',
  EACCES: 'permission denied',
  EPERM: 'the file system does not allow it',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a part of the path is a file, not a folder',
  ENOENT: 'the file system does not allow folders there',
  ELOOP: 'the path runs through too many symbolic links',
  EEXIST: 'something that is not a folder is in the way',
}

/**
 * The error for a folder a user named that the file system refused, as an input
 * error naming the folder, the field and the fix; an error that is no refusal
 * (EIO, ENOSPC) is returned as it was.
 */
export function folderRefused(dir: string, err: unknown, opts: {field: string; fix: string}): unknown {
  const reason = REFUSALS[(err as NodeJS.ErrnoException).code ?? '']
  if (!reason) return err
  return new InputError(`cannot make or use the folder ${dir}: ${reason}`, {field: opts.field, fix: opts.fix, cause: err})
}

/**
 * Makes a folder a user names for rigor to write (init's and demo's DIR, site
 * --out, the folder of data generate --out) with its missing parents, one level
 * at a time from the nearest existing one; returns the first folder it made, or
 * undefined when it existed. Not `mkdir({recursive: true})`: where the file system
 * answers ENOENT for a name under an existing folder (/proc) Node's recursive mkdir
 * tries again forever, and a refusal (a name too long, a read-only or forbidden
 * place) left as an unexpected error, exit 1, instead of naming the field.
 */
export async function makeOutputDir(dir: string, opts: {field: string; fix: string}): Promise<string | undefined> {
  const missing: string[] = []
  for (let at = resolve(dir); ; at = dirname(at)) {
    try {
      if (!(await stat(at)).isDirectory()) throw Object.assign(new Error(`${at} is not a folder`), {code: 'ENOTDIR'})
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(at) === at) throw folderRefused(at, err, opts)
      missing.unshift(at)
    }
  }
  let first: string | undefined
  for (const folder of missing) {
    try {
      await mkdir(folder)
      first ??= folder
    } catch (err) {
      // made meanwhile by someone else: as good as made here
      const made = (err as NodeJS.ErrnoException).code === 'EEXIST' && (await stat(folder).catch(() => undefined))?.isDirectory()
      if (!made) throw folderRefused(folder, err, opts)
    }
  }
  return first
}
