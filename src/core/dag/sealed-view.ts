/**
 * A directory of the workspace as the sandbox shows it when many of its files
 * are sealed data (sealed-data.ts): one read-only view bound over it, in which
 * each sealed file is its research cut (a hard link to the content-addressed
 * cut under .git/rigor/data) and every other entry is a placeholder that the
 * original is bound back onto, or, for a symbolic link, the same link. One
 * bind for the directory and one per other entry, instead of one per sealed
 * file. Views are kept by what they hold (.git/rigor/views/<key>), made once
 * and shared by every run that needs the same one; removed once unused for four
 * weeks (kept-copies.ts).
 */
import {createHash} from 'node:crypto'
import {
  chmodSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {join} from 'node:path'
import {reuseKeptCopy} from '../state/kept-copies.js'
import type {Overlay} from './sandbox.js'

/** What a file that cannot be cut shows: nothing. */
export const EMPTY = '/dev/null'

type Entry = {name: string; kind: 'cut'; source: string} | {name: string; kind: 'file' | 'dir'} | {name: string; kind: 'link'; text: string}

/**
 * The overlays showing `dir` (a host path) with `cuts` (name -> the file to
 * show) in place of those entries. A `.git` inside is not shown, nor are
 * sockets, pipes and devices.
 */
export function directoryView(dir: string, cuts: ReadonlyMap<string, string>, viewsDir: string): Overlay[] {
  const entries: Entry[] = []
  for (const entry of readdirSync(dir, {withFileTypes: true}).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const name = entry.name
    const source = cuts.get(name)
    if (source !== undefined) entries.push({name, kind: 'cut', source})
    else if (name === '.git') continue
    else if (entry.isSymbolicLink()) entries.push({name, kind: 'link', text: readlinkSync(join(dir, name))})
    else if (entry.isDirectory()) entries.push({name, kind: 'dir'})
    else if (entry.isFile()) entries.push({name, kind: 'file'})
  }
  const view = join(viewsDir, createHash('sha256').update(JSON.stringify(entries)).digest('hex').slice(0, 32))
  if (!reuseKeptCopy(view, 'dir')) makeView(view, entries)
  const backs = entries.filter((e) => e.kind === 'file' || e.kind === 'dir')
  return [{source: view, target: dir}, ...backs.map((e) => ({source: join(dir, e.name), target: join(dir, e.name)}))]
}

/** Writes the view beside its place and renames it there: a run never sees one half made, and two makers agree. */
function makeView(view: string, entries: readonly Entry[]): void {
  const tmp = `${view}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  mkdirSync(tmp, {recursive: true})
  try {
    for (const entry of entries) {
      const path = join(tmp, entry.name)
      if (entry.kind === 'cut') placeCut(entry.source, path)
      else if (entry.kind === 'file') writeFileSync(path, '', {mode: 0o444})
      else if (entry.kind === 'dir') mkdirSync(path)
      else if (entry.kind === 'link') symlinkSync(entry.text, path)
    }
    // writable directories, so that removing .git/rigor needs no chmod: the sandbox binds the view read-only
    renameSync(tmp, view)
  } catch (err) {
    rmSync(tmp, {recursive: true, force: true})
    // another process made the same view first: it holds the same entries
    if (!existsSync(view)) throw err
  }
}

/** A cut is a hard link to the read-only, content-addressed file; a copy where linking is refused; empty for EMPTY. */
function placeCut(source: string, path: string): void {
  if (source === EMPTY) {
    writeFileSync(path, '', {mode: 0o444})
    return
  }
  try {
    linkSync(source, path)
  } catch {
    copyFileSync(source, path)
    chmodSync(path, 0o444)
  }
}
