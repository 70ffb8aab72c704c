import {closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync, type Dirent, type Stats} from 'node:fs'
import {sha256} from '../state/checksum.js'
import type {Omission, RunnerLimits, StoredArtifact, Truncation} from '../schemas/index.js'
import {caseCollisions, decodeOutputName, outputPathProblem, printable} from '../validation.js'

export const RUN_LOG = 'run.log'
export const VERDICT_JSON = 'verdict.json'
/** individual entries in a verdict's `omitted`; the rest are counted in one entry per kind */
export const MAX_LISTED_OMISSIONS = 100
/** a run that leaves more directory entries than this is not examined further */
export const MAX_WALKED_ENTRIES = 1_000_000

export interface CollectedArtifact {
  path: string
  content: Buffer
  checksum: string
}

export interface CollectedOutputs {
  files: CollectedArtifact[]
  /** as recorded in the verdict: the first MAX_LISTED_OMISSIONS one by one, then counted per kind */
  omitted: Omission[]
  truncated: Truncation[]
  /** every output path left out (relative to RIGOR_OUT) with why, for the declared-artifact check */
  leftOut: Map<string, string>
  /** files over the size limits that went to the artifact store instead of git */
  stored: StoredArtifact[]
}

/** Keeps a file too large for git elsewhere (rigor.yaml artifact_store); see artifact-store.ts. */
export interface LargeFileStore {
  put(file: string): Promise<{ok: true; sha256: string; bytes: number} | {ok: false; problem: string}>
}

type Kind = 'refused' | 'link' | 'special' | 'collision' | 'unreadable' | 'files' | 'file_size' | 'total_size' | 'walk'
interface LeftOut {
  path: string
  kind: Kind
  reason: string
  bytes?: number
}

const groupReason = (kind: Kind, limits: RunnerLimits): string =>
  ({
    refused: "names git or some clone's file system refuses",
    link: 'symbolic links (rigor never follows one)',
    special: 'not regular files (FIFOs, sockets, devices)',
    collision: 'names that collide with another output on case-insensitive file systems',
    unreadable: 'files that could not be read',
    files: `beyond the limit of ${limits.files} files (runner.limits.files)`,
    file_size: `larger than the limit of ${limits.file_size} bytes per file (runner.limits.file_size)`,
    total_size: `beyond the limit of ${limits.total_size} bytes in all (runner.limits.total_size)`,
    walk: `beyond ${MAX_WALKED_ENTRIES} directory entries`,
  })[kind]

interface Found {
  /** the path relative to RIGOR_OUT as text (invalid UTF-8 shown as \xNN) */
  path: string
  /** the path on disk, as bytes: a name that is not UTF-8 must still be opened by its own bytes */
  full: Buffer
  type: 'file' | 'link' | 'special'
  /** why a directory on the way, or the name itself, is refused before anything else */
  refused?: string
}

/**
 * The run's outputs as they will be committed under out/: every regular file
 * git and every clone can hold, within the limits, read without following a
 * symbolic link. What is left out is listed with the reason; run.log beyond
 * its limit keeps its head and tail. The files are read with synchronous calls:
 * a run's few small files cost microseconds that way, and ten times more
 * through the thread pool on the work loop's thread (docs/benchmarks.md).
 */
export async function collectOutputs(outDir: string, limits: RunnerLimits, store?: LargeFileStore): Promise<CollectedOutputs> {
  const swapped = outDirProblem(outDir)
  if (swapped) return {files: [], omitted: [{path: 'out/', reason: swapped}], truncated: [], leftOut: new Map([['.', swapped]]), stored: []}
  const stored: StoredArtifact[] = []
  const {found, leftOut} = walk(outDir)
  found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  const candidates: Found[] = []
  for (const f of found) {
    const problem = f.refused ?? outputPathProblem(f.path)
    if (problem) leftOut.push({path: f.path, kind: 'refused', reason: problem})
    else if (f.type === 'link') leftOut.push({path: f.path, kind: 'link', reason: 'a symbolic link (rigor never follows one)'})
    else if (f.type === 'special') leftOut.push({path: f.path, kind: 'special', reason: 'not a regular file (a FIFO, socket or device)'})
    else candidates.push(f)
  }
  const colliding = new Map(caseCollisions(candidates.map((c) => c.path)).map(([earlier, later]) => [later, earlier]))
  const files: CollectedArtifact[] = []
  const truncated: Truncation[] = []
  let total = 0
  let counted = 0
  for (const f of candidates) {
    const earlier = colliding.get(f.path)
    if (earlier !== undefined) {
      leftOut.push({
        path: f.path,
        kind: 'collision',
        reason: `collides with "${printable(earlier)}" on case-insensitive file systems (macOS, Windows)`,
      })
      continue
    }
    // run.log is rigor's own record of the run: kept (in part) outside the file limits
    if (f.path === RUN_LOG) {
      const log = readHeadAndTail(f.full, limits.run_log)
      if (!log.ok) leftOut.push({path: f.path, kind: log.kind, reason: log.reason})
      else {
        files.push(artifact(f.path, log.content))
        if (log.size > log.content.length - log.marker)
          truncated.push({path: `out/${RUN_LOG}`, bytes: log.size, kept: log.content.length - log.marker})
      }
      continue
    }
    // the runner's verdict.json is the protocol's own file: it does not count against the runner's outputs
    const protocol = f.path === VERDICT_JSON
    if (!protocol && counted >= limits.files) {
      leftOut.push({path: f.path, kind: 'files', reason: groupReason('files', limits)})
      continue
    }
    const read = readRegularFile(f.full, limits.file_size, limits.total_size - total)
    if (!read.ok && store && !protocol && (read.kind === 'file_size' || read.kind === 'total_size')) {
      const put = await store.put(`${outDir}/${f.path}`)
      if (put.ok) stored.push({path: `out/${f.path}`, sha256: put.sha256, bytes: put.bytes})
      else leftOut.push({path: f.path, kind: 'unreadable', reason: put.problem, bytes: read.size})
    } else if (!read.ok)
      leftOut.push({
        path: f.path,
        kind: read.kind,
        reason: read.kind === 'unreadable' ? read.reason : groupReason(read.kind, limits),
        bytes: read.size,
      })
    else {
      files.push(artifact(f.path, read.content))
      total += read.content.length
      if (!protocol) counted++
    }
  }
  return {
    files,
    omitted: listOmissions(leftOut, limits),
    truncated,
    leftOut: new Map(leftOut.map((l) => [l.path, l.reason])),
    stored,
  }
}

/**
 * Why RIGOR_OUT itself cannot be read as the run's outputs: a runner that put a
 * symbolic link in its place would have rigor walk (and commit) whatever it points at.
 */
export function outDirProblem(outDir: string): string | undefined {
  try {
    const info = lstatSync(outDir)
    if (info.isDirectory()) return undefined
    return info.isSymbolicLink()
      ? 'RIGOR_OUT was replaced by a symbolic link; nothing in it was read'
      : 'RIGOR_OUT was replaced by something that is not a directory'
  } catch {
    return 'RIGOR_OUT was removed'
  }
}

export type RunnerFile = {ok: true; text: string} | {ok: false; missing: boolean; reason: string}

/**
 * A file the runner left at the top of RIGOR_OUT (returns.csv, run.log), read
 * as text for rigor's own use (an audit's re-run, a paper run): as the outputs
 * are, without following a link, never waiting on a FIFO, and at most
 * `maxBytes`. A link the runner left would have rigor read whatever it names
 * on the host (a FIFO hung the audit, /dev/zero filled its memory).
 */
export function readRunnerFile(outDir: string, name: string, maxBytes: number): RunnerFile {
  const read = readRegularFile(Buffer.from(`${outDir}/${name}`), maxBytes, maxBytes)
  if (read.ok) return {ok: true, text: read.content.toString('utf8')}
  if (read.kind === 'unreadable' && read.reason.includes('ENOENT')) return {ok: false, missing: true, reason: 'is missing'}
  const reason =
    read.kind === 'special'
      ? 'is not a regular file (a FIFO, socket or device)'
      : read.kind === 'unreadable'
        ? read.reason.includes('ELOOP')
          ? 'is a symbolic link (rigor never follows one)'
          : read.reason
        : `is ${read.size} bytes, more than the limit of ${maxBytes}`
  return {ok: false, missing: false, reason}
}

/**
 * A strategy run's returns.csv and positions.csv from RIGOR_OUT (an audit's re-run, a paper run), each read as
 * readRunnerFile reads it; either may be missing (the caller says whether that is a failure), but one that is there
 * and cannot be read (a link, a FIFO, over the limit) fails the run, naming it.
 */
export function readStrategyFiles(
  outDir: string,
  maxBytes: number,
): {ok: true; returns: RunnerFile; positions: RunnerFile} | {ok: false; reason: string} {
  const returns = readRunnerFile(outDir, 'returns.csv', maxBytes)
  const positions = readRunnerFile(outDir, 'positions.csv', maxBytes)
  for (const [name, file] of [
    ['returns.csv', returns],
    ['positions.csv', positions],
  ] as const)
    if (!file.ok && !file.missing) return {ok: false, reason: `${name} in RIGOR_OUT ${file.reason}`}
  return {ok: true, returns, positions}
}

const artifact = (path: string, content: Buffer): CollectedArtifact => ({path, content, checksum: sha256(content)})

/** Every entry under `outDir`, without following links; directories iteratively, so depth costs no stack. */
function walk(outDir: string): {found: Found[]; leftOut: LeftOut[]} {
  const found: Found[] = []
  const leftOut: LeftOut[] = []
  const stack: Array<{full: Buffer; path: string; refused?: string}> = [{full: Buffer.from(outDir), path: ''}]
  let seen = 0
  while (stack.length > 0) {
    const dir = stack.pop()!
    let entries: Dirent<Buffer>[]
    try {
      entries = readdirSync(dir.full, {withFileTypes: true, encoding: 'buffer'})
    } catch (err) {
      leftOut.push({
        path: dir.path || '.',
        kind: 'unreadable',
        reason: `the directory could not be read (${(err as NodeJS.ErrnoException).code})`,
      })
      continue
    }
    for (const entry of entries) {
      if (++seen > MAX_WALKED_ENTRIES) {
        leftOut.push({
          path: dir.path || '.',
          kind: 'walk',
          reason: `the run left more than ${MAX_WALKED_ENTRIES} files and directories; the rest were not examined`,
        })
        return {found, leftOut}
      }
      const bytes = entry.name as unknown as Buffer
      const name = decodeOutputName(bytes)
      const path = `${dir.path ? `${dir.path}/` : ''}${name.ok ? name.value : escapeBytes(bytes)}`
      const refused = dir.refused ?? (name.ok ? undefined : `"${escapeBytes(bytes)}": ${name.problem}`)
      const full = Buffer.concat([dir.full, Buffer.from('/'), bytes])
      if (entry.isDirectory()) stack.push({full, path, refused})
      else found.push({path, full, refused, type: entry.isFile() ? 'file' : entry.isSymbolicLink() ? 'link' : 'special'})
    }
  }
  return {found, leftOut}
}

/** A name's bytes with everything but printable ASCII shown as \xNN. */
function escapeBytes(bytes: Buffer): string {
  let out = ''
  for (const b of bytes) out += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`
  return out
}

type FileRead =
  | {ok: true; content: Buffer}
  | {ok: false; kind: 'file_size' | 'total_size' | 'unreadable' | 'special'; reason: string; size?: number}

/**
 * A regular file opened without following a link (and without blocking on a
 * FIFO), with its size as it was when opened; the caller closes the descriptor.
 */
function openRegular(full: Buffer): {ok: true; fd: number; info: Stats} | {ok: false; kind: 'unreadable' | 'special'; reason: string} {
  let fd: number
  try {
    fd = openSync(full, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (err) {
    return {ok: false, kind: 'unreadable', reason: `could not be opened (${(err as NodeJS.ErrnoException).code})`}
  }
  let info: Stats
  try {
    info = fstatSync(fd)
  } catch (err) {
    closeSync(fd)
    throw err
  }
  if (info.isFile()) return {ok: true, fd, info}
  closeSync(fd)
  return {ok: false, kind: 'special', reason: 'not a regular file'}
}

/** A regular file's bytes, opened without following a link and read only up to the size it had when opened. */
function readRegularFile(full: Buffer, maxSize: number, room: number): FileRead {
  const opened = openRegular(full)
  if (!opened.ok) return opened
  const {fd, info} = opened
  try {
    if (info.size > maxSize) return {ok: false, kind: 'file_size', reason: '', size: info.size}
    if (info.size > room) return {ok: false, kind: 'total_size', reason: '', size: info.size}
    return {ok: true, content: readAt(fd, 0, info.size)}
  } finally {
    closeSync(fd)
  }
}

type LogRead = {ok: true; content: Buffer; size: number; marker: number} | {ok: false; kind: 'unreadable' | 'special'; reason: string}

/** run.log within `limit` bytes: whole, or its first and last halves around a line saying what was cut. */
function readHeadAndTail(full: Buffer, limit: number): LogRead {
  const opened = openRegular(full)
  if (!opened.ok) return opened
  const {fd, info} = opened
  try {
    if (info.size <= limit) return {ok: true, content: readAt(fd, 0, info.size), size: info.size, marker: 0}
    const headBytes = Math.floor(limit / 2)
    const tailBytes = limit - headBytes
    const marker = Buffer.from(
      `\n[rigor: run.log truncated: ${info.size} bytes; kept the first ${headBytes} and the last ${tailBytes} (runner.limits.run_log)]\n`,
    )
    const head = readAt(fd, 0, headBytes)
    const tail = readAt(fd, info.size - tailBytes, tailBytes)
    return {ok: true, content: Buffer.concat([head, marker, tail]), size: info.size, marker: marker.length}
  } finally {
    closeSync(fd)
  }
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length)
  let done = 0
  while (done < length) {
    const bytesRead = readSync(fd, buffer, done, length - done, position + done)
    if (bytesRead === 0) break
    done += bytesRead
  }
  return buffer.subarray(0, done)
}

/**
 * The verdict's record: refused names and files over a size limit one by one
 * (up to MAX_LISTED_OMISSIONS, then counted per kind), and the files beyond the
 * count limit as one entry: they are the last ones in path order.
 */
function listOmissions(leftOut: LeftOut[], limits: RunnerLimits): Omission[] {
  const order: Kind[] = ['refused', 'link', 'special', 'collision', 'unreadable', 'walk', 'file_size', 'total_size']
  const one = leftOut.filter((l) => l.kind !== 'files').sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind))
  const listed: Omission[] = one
    .slice(0, MAX_LISTED_OMISSIONS)
    .map((l) => ({path: shown(l.path), reason: l.reason, ...(l.bytes === undefined ? {} : {bytes: l.bytes})}))
  const beyondCount = leftOut.filter((l) => l.kind === 'files')
  for (const group of groupByKind([...one.slice(MAX_LISTED_OMISSIONS), ...beyondCount])) {
    listed.push({
      path: shown(group.first),
      reason: `${groupReason(group.kind, limits)}: ${group.count} file(s) from this one on`,
      ...(group.bytes === undefined ? {} : {bytes: group.bytes}),
      count: group.count,
    })
  }
  return listed
}

function groupByKind(list: LeftOut[]): Array<{kind: Kind; first: string; count: number; bytes?: number}> {
  const groups = new Map<Kind, {kind: Kind; first: string; count: number; bytes?: number}>()
  for (const l of list) {
    const group = groups.get(l.kind)
    if (!group) groups.set(l.kind, {kind: l.kind, first: l.path, count: 1, bytes: l.bytes})
    else {
      group.count++
      group.bytes = group.bytes !== undefined && l.bytes !== undefined ? group.bytes + l.bytes : undefined
    }
  }
  return [...groups.values()]
}

/** An output path as the verdict shows it: under out/, control characters escaped, at most 300 characters. */
function shown(path: string): string {
  const text = /[\x00-\x1f\x7f]/.test(path) ? JSON.stringify(path).slice(1, -1) : path
  return `out/${text.length > 300 ? `${text.slice(0, 300)}...` : text}`
}
