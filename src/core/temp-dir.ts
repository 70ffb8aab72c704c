import {mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {InputError} from './errors.js'

/**
 * A new folder in the host's temporary folder (TMPDIR, else /tmp), for what never
 * belongs to a workspace. A TMPDIR that does not exist or cannot be written is the
 * user's setting: named as such (exit 2), not an ENOENT to report as rigor's bug.
 */
export async function hostTempDir(prefix: string): Promise<string> {
  try {
    return await mkdtemp(join(tmpdir(), prefix))
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (!['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'EROFS'].includes(code ?? '')) throw err
    throw new InputError(`the temporary folder ${tmpdir()} cannot hold a new folder (${code})`, {
      field: 'TMPDIR',
      fix: 'set TMPDIR to a folder that exists and that you can write to, or unset it (then /tmp is used)',
    })
  }
}
