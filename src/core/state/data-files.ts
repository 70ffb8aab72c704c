import {chmod, mkdir, rename, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {InputError, MissingObjectError} from '../errors.js'
import {reuseKeptCopy} from './kept-copies.js'
import {isFileMode, treeModeName} from '../git/objects.js'
import type {Repo} from '../git/repo.js'
import {treeEntryInfo} from '../git/tree-walk.js'
import {workspacePathProblem} from '../validation.js'

export interface CommittedFile {
  path: string
  oid: string
}

/**
 * A node's `data:` as a committed regular file at `commit`: never the working
 * tree (an untracked symlink to /etc/passwd once became RIGOR_DATA), never a
 * symlink or a directory. Throws an InputError naming the field otherwise.
 */
export async function committedDataFile(
  repo: Repo,
  commit: string | undefined,
  path: string,
  where: {file?: string; field: string},
): Promise<CommittedFile> {
  const problem = workspacePathProblem(path)
  if (problem) throw new InputError(problem, {...where, fix: 'name a data file committed in the workspace, e.g. data/prices.csv'})
  const tree = commit ? await repo.commitTree(commit) : undefined
  const entry = tree ? await treeEntryInfo(repo, tree, path) : undefined
  if (!entry) {
    throw new InputError(`data file ${path} is not committed on the state branch`, {
      ...where,
      fix: `commit it first (git add ${path} && git commit), or correct the path; rigor never reads data from the working tree`,
    })
  }
  if (!isFileMode(entry.mode)) {
    throw new InputError(`data path ${path} is committed as ${treeModeName(entry.mode)}, not a regular file`, {
      ...where,
      fix: 'commit the data itself as a regular file',
    })
  }
  return {path, oid: entry.oid}
}

/** Where committed data files and their research cuts are written, read-only and by content: .git/rigor/data/. */
export const dataFilesDir = (repo: Repo): string => join(repo.paths.commonDir, 'rigor', 'data')

/**
 * The committed bytes of a data file as a read-only file on disk, written once
 * per blob into .git/rigor/data/ (content-addressed, so every run and audit of
 * the same data shares it and no run can change what the next one reads).
 * Removed once unused for four weeks (kept-copies.ts).
 */
export async function materialiseBlob(repo: Repo, oid: string, suffix = ''): Promise<string> {
  const dir = dataFilesDir(repo)
  const file = join(dir, `${oid}${suffix}`)
  if (reuseKeptCopy(file, 'file')) return file
  const blob = await repo.cat.read(oid)
  if (blob?.type !== 'blob') throw new MissingObjectError(`blob ${oid}`)
  await mkdir(dir, {recursive: true})
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  await writeFile(tmp, blob.body, {mode: 0o444})
  await chmod(tmp, 0o444)
  await rename(tmp, file)
  return file
}
