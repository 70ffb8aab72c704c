import {createHash} from 'node:crypto'
import {lstat, mkdir, readdir, readFile, rename, rm, writeFile} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'
import {InputError, InternalError} from '../../errors.js'
import {folderRefused, makeOutputDir} from '../../output-dir.js'
import {MANIFEST_FILE} from './paths.js'

/**
 * Writing the site into its folder, incrementally: the manifest
 * (.rigor-site.json) records every file the site wrote with a key of its
 * content, so a rebuild writes only the files whose content changed, renders a
 * chart only when its data is new, and removes the files it wrote before that
 * the new build no longer has. It never deletes a file it did not write, and
 * it refuses a folder that holds other files and no manifest (a typo in --out
 * must not litter a project).
 */

export interface SiteFile {
  path: string
  /** the content, or a key of it and how to make it (charts: rendered only when not already written) */
  content: string | Buffer | {key: string; render: () => Promise<string | Buffer>}
}

export interface WriteStats {
  written: number
  unchanged: number
  removed: number
}

interface Manifest {
  version: 1
  files: Record<string, string>
}

const WRITERS = 16
const SAFE_PATH = /^(?!.*(?:^|\/)\.\.?(?:\/|$))[A-Za-z0-9._~-]+(?:\/[A-Za-z0-9._~-]+)*$/

export async function writeSiteFiles(out: string, files: SiteFile[]): Promise<WriteStats> {
  const previous = await readManifest(out)
  const next: Manifest = {version: 1, files: {}}
  const stats: WriteStats = {written: 0, unchanged: 0, removed: 0}
  const made = new Map<string, Promise<void>>()
  // every folder below `out` a real one: a link there (a checked-out site/ can hold anything) would take the writes elsewhere
  const ensureDir = (dir: string): Promise<void> => {
    if (dir === out) return Promise.resolve()
    let done = made.get(dir)
    if (!done) {
      done = ensureDir(dirname(dir)).then(async () => {
        await mkdir(dir).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST') throw err
        })
        if (!(await lstat(dir)).isDirectory()) throw notAFolder(out, dir)
      })
      made.set(dir, done)
    }
    return done
  }
  // what is on disk, one listing per folder rather than a look-up per file (a file someone deleted is written again)
  const listings = new Map<string, Promise<Set<string>>>()
  const onDisk = (target: string) => {
    const dir = dirname(target)
    let listing = listings.get(dir)
    if (!listing) {
      listing = readdir(dir).then(
        (names) => new Set(names),
        () => new Set<string>(),
      )
      listings.set(dir, listing)
    }
    return listing.then((names) => names.has(basename(target)))
  }
  const writeOne = async (file: SiteFile) => {
    if (!SAFE_PATH.test(file.path) || file.path === MANIFEST_FILE)
      throw new InternalError(`the site would write an unsafe path: ${file.path}`)
    const content = file.content
    const key = typeof content === 'string' || Buffer.isBuffer(content) ? sha256(content) : content.key
    next.files[file.path] = key
    const target = join(out, file.path)
    if (previous.files[file.path] === key && (await onDisk(target))) {
      stats.unchanged++
      return
    }
    const bytes = typeof content === 'string' || Buffer.isBuffer(content) ? content : await content.render()
    await ensureDir(dirname(target))
    await replaceFile(target, bytes)
    stats.written++
  }
  let taken = 0
  await Promise.all(
    Array.from({length: WRITERS}, async () => {
      while (taken < files.length) await writeOne(files[taken++]!)
    }),
  )
  for (const path of Object.keys(previous.files)) {
    if (path in next.files || !SAFE_PATH.test(path)) continue
    // never through a link: only in folders below `out` that are folders (a file in a linked folder is not the site's)
    if (!(await realFolders(out, dirname(join(out, path))))) continue
    await rm(join(out, path), {force: true})
    stats.removed++
  }
  await replaceFile(join(out, MANIFEST_FILE), `${JSON.stringify(next)}\n`)
  return stats
}

/**
 * Writes `target` as a new file renamed into place: a symbolic link (or anything else)
 * at `target` is replaced, never written through. The temporary file is created
 * afresh (`wx`), so a link left in its place is not followed either.
 */
async function replaceFile(target: string, bytes: string | Buffer): Promise<void> {
  const temp = `${target}.${process.pid}.tmp`
  await rm(temp, {force: true})
  await writeFile(temp, bytes, {flag: 'wx'})
  await rename(temp, target)
}

/** Whether `dir` and every folder between `out` and it are folders, not links to one. */
async function realFolders(out: string, dir: string): Promise<boolean> {
  for (let at = dir; at !== out && at.startsWith(`${out}/`); at = dirname(at)) {
    const info = await lstat(at).catch(() => undefined)
    if (!info?.isDirectory()) return false
  }
  return true
}

function notAFolder(out: string, dir: string): InputError {
  return new InputError(`${dir} is not a folder (a symbolic link?): the site writes only into folders of its own under ${out}`, {
    field: '--out',
    fix: `remove ${dir} (rigor site makes it again), or pass another folder`,
  })
}

const OUT_FOLDER = {field: '--out', fix: 'pass a new or empty folder you can write to'}

/** The manifest of an earlier build, or an empty one for a new or empty folder; a folder of other files is refused. */
async function readManifest(out: string): Promise<Manifest> {
  let text: string | undefined
  try {
    text = await readFile(join(out, MANIFEST_FILE), 'utf8')
  } catch {
    const entries = await readdir(out).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[]
      if (err.code === 'ENOTDIR')
        throw new InputError(`${out} is a file, not a folder`, {field: '--out', fix: 'pass a new or empty folder'})
      throw folderRefused(out, err, OUT_FOLDER)
    })
    if (entries.length > 0)
      throw new InputError(`${out} holds other files and is not a site rigor wrote (no ${MANIFEST_FILE})`, {
        field: '--out',
        fix: 'pass a new or empty folder, or the folder of an earlier `rigor site`',
      })
    await makeOutputDir(out, OUT_FOLDER)
    return {version: 1, files: {}}
  }
  try {
    const parsed = JSON.parse(text) as Manifest
    if (parsed.version === 1 && parsed.files && typeof parsed.files === 'object') return parsed
  } catch {}
  // an unreadable manifest: everything is written again, and nothing is deleted on its word
  return {version: 1, files: {}}
}

const sha256 = (content: string | Buffer) => createHash('sha256').update(content).digest('hex')
