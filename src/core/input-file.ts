import {closeSync, constants, fstatSync, openSync, readSync} from 'node:fs'
import {InputError} from './errors.js'

/**
 * A file a user names on the command line (a seed spec, a returns CSV, paper data),
 * read whole but never without bound: a regular file larger than `maxBytes` is
 * refused before it is read, and anything else (a FIFO from `<(...)`, a device such
 * as /dev/zero that never ends) is read up to the bound and refused beyond it. The
 * error names the file and is exit 2, where reading /dev/zero ran the process out
 * of memory (an abort, exit 134) or never ended. `name` is how errors name the file (default `file`): the
 * path as the user typed it, where `file` is that path resolved against --cwd.
 */
export function readInputFile(file: string, opts: {what: string; maxBytes: number; fix: string; name?: string}): Buffer {
  const name = opts.name ?? file
  let fd: number
  try {
    fd = openSync(file, constants.O_RDONLY)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new InputError(code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? String(error)})`, {
      file: name,
      fix: opts.fix,
      cause: error,
    })
  }
  try {
    const info = fstatSync(fd)
    if (info.isDirectory()) throw new InputError(`is a directory, not ${opts.what}`, {file: name, fix: opts.fix})
    const tooLarge = () =>
      new InputError(`is larger than ${opts.maxBytes / 1024 / 1024} MB, more than ${opts.what} can be`, {file: name, fix: opts.fix})
    if (info.isFile() && info.size > opts.maxBytes) throw tooLarge()
    const chunks: Buffer[] = []
    let total = 0
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, opts.maxBytes + 1 - total))
      let read: number
      try {
        read = readSync(fd, chunk, 0, chunk.length, null)
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        throw new InputError(`cannot be read (${code ?? String(error)})`, {file: name, fix: opts.fix, cause: error})
      }
      if (read === 0) break
      chunks.push(chunk.subarray(0, read))
      total += read
      if (total > opts.maxBytes) throw tooLarge()
    }
    return Buffer.concat(chunks, total)
  } finally {
    closeSync(fd)
  }
}
