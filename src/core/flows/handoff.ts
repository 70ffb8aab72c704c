import {createHash} from 'node:crypto'
import {constants, type Stats} from 'node:fs'
import {type FileHandle, open, readFile, realpath, stat} from 'node:fs/promises'
import {isAbsolute, join, relative, resolve, sep} from 'node:path'
import {withChecksum} from '../state/checksum.js'
import {fileSha256} from '../dag/artifact-store.js'
import {dumpYaml, loadStateDocument} from '../state/documents.js'
import {CorruptFileError, InputError, RigorError} from '../errors.js'
import {nowIso} from '../state/node-files.js'
import {HandoffFile, HandoffName} from '../schemas/index.js'
import {listedName, quoted} from '../validation.js'
import {listTreeFiles, readBlobs} from '../state/tree-files.js'
import {treeEntryInfo} from '../git/tree-walk.js'
import type {Workspace} from '../state/workspace.js'

/**
 * Handoffs: one party gives another a set of workspace files, each pinned by
 * its sha256, in handoffs/<task>/<n>-<from>-to-<to>.yaml. `verify` recomputes
 * the sums, so a file changed after it was handed over is named, not trusted.
 */

export const HANDOFFS_DIR = 'handoffs'
const NUMBER_WIDTH = 3

export const handoffFilePath = (h: {task: string; number: number; from: string; to: string}): string =>
  `${HANDOFFS_DIR}/${h.task}/${String(h.number).padStart(NUMBER_WIDTH, '0')}-${h.from}-to-${h.to}.yaml`

export interface HandoffRequest {
  task: string
  from: string
  to: string
  /** file paths, relative to `base` or absolute; each must lie inside the workspace */
  artifacts: string[]
  message?: string
  /** where relative artifact paths start from (the user's directory) */
  base: string
}

export interface HandoffSummary {
  file: string
  task: string
  number: number
  from: string
  to: string
  message?: string
  created_at: string
  artifacts: Record<string, string>
}

export interface CreatedHandoff {
  file: string
  /** the document as written, checksum included */
  handoff: HandoffFile
  commit?: string
}

export async function createHandoff(ws: Workspace, req: HandoffRequest, now = new Date()): Promise<CreatedHandoff> {
  const names = {task: checkName(req.task, '--task'), from: checkName(req.from, '--from'), to: checkName(req.to, '--to')}
  if (req.artifacts.length === 0)
    throw new InputError('a handoff needs at least one --artifact', {fix: 'name the files you hand over: --artifact PATH (repeatable)'})
  // hashed once, before the commit: what the sender hands over is what is on disk now
  const artifacts: Record<string, string> = {}
  for (const path of req.artifacts) {
    const rel = await workspacePath(ws.root, req.base, path)
    // streamed: an artifact may be larger than a buffer can hold (model weights, a data set)
    artifacts[rel] = `sha256:${(await fileSha256(join(ws.root, rel))).sha256}`
  }
  const outcome = await ws.commit<CreatedHandoff>(async (snap) => {
    const taken = await listTreeFiles(ws.repo, snap.tree, `${HANDOFFS_DIR}/${names.task}`)
    const number = 1 + Math.max(0, ...taken.map((f) => takenNumber(f.path)))
    const handoff = withChecksum({
      task: names.task,
      number,
      from: names.from,
      to: names.to,
      message: req.message,
      created_at: nowIso(now),
      artifacts,
    }) as HandoffFile
    const file = handoffFilePath(handoff)
    return {
      files: new Map([[file, dumpYaml(handoff)]]),
      message: {
        action: 'handoff',
        subject: `handoff ${names.task} #${number}: ${names.from} -> ${names.to} (${Object.keys(artifacts).length} artifact(s))`,
        worker: names.from,
        trailers: {Task: names.task, From: names.from, To: names.to},
      },
      result: {file, handoff},
    }
  })
  return {...outcome.result, commit: outcome.commit}
}

/**
 * The number a file of the task's folder takes up. A name whose number no handoff
 * can have (past 2^53, which a hand-made file may carry) takes none: counting
 * after it would write a number the handoff schema refuses, or 1e+21 as a name.
 */
function takenNumber(path: string): number {
  const n = Number(/^(\d+)-/.exec(path.split('/').pop()!)?.[1] ?? 0)
  return Number.isSafeInteger(n + 1) ? n : 0
}

export interface HandoffListing extends Partial<HandoffSummary> {
  file: string
  /** why the file cannot be trusted (checksum mismatch, invalid content) */
  problem?: string
}

export async function listHandoffs(ws: Workspace, task?: string): Promise<HandoffListing[]> {
  const handoffs = await readHandoffs(ws, task, '--task')
  // a task that has no handoff is a typo, as verify says: "no handoffs" would hide the ones under its right name
  if (task !== undefined && handoffs.length === 0) throw await noSuchTask(ws, task, '--task')
  return handoffs.map((h) =>
    h.doc ? {...summarise(h.file, h.doc), ...(h.problem ? {problem: h.problem.message} : {})} : {file: h.file, problem: h.problem!.message},
  )
}

export interface HandoffProblem {
  /** the handoff file */
  file: string
  kind: 'corrupt' | 'invalid' | 'changed' | 'missing'
  /** the artifact, for `changed` and `missing` */
  artifact?: string
  /** `working tree` when the problem is in an uncommitted edit of the handoff file */
  where?: 'committed' | 'working tree'
  expected?: string
  actual?: string
  message: string
}

export interface HandoffVerifyReport {
  ok: boolean
  handoffs: number
  artifacts: number
  problems: HandoffProblem[]
}

/** Checks every handoff file's own checksum and recomputes every artifact's sum from the working tree. */
export async function verifyHandoffs(ws: Workspace, task?: string): Promise<HandoffVerifyReport> {
  const report: HandoffVerifyReport = {ok: true, handoffs: 0, artifacts: 0, problems: []}
  const handoffs = await readHandoffs(ws, task)
  // a task named on the command line that has no handoff is a typo, not a pass: nothing would have been checked
  if (task !== undefined && handoffs.length === 0) throw await noSuchTask(ws, task)
  const checkout = await checkoutAgainstTip(ws)
  for (const h of handoffs) {
    report.handoffs++
    if (h.problem) report.problems.push({file: h.file, where: 'committed', ...h.problem})
    const local = await readFile(join(ws.root, h.file), 'utf8').catch(() => undefined)
    if (local !== undefined && local !== h.text) {
      const problem = parseHandoff(h.file, local).problem
      if (problem) report.problems.push({file: h.file, where: 'working tree', ...problem})
    }
    for (const [artifact, expected] of Object.entries(h.doc?.artifacts ?? {})) {
      report.artifacts++
      const read = await readArtifact(ws.root, artifact)
      if (!read.ok) {
        report.problems.push({
          file: h.file,
          kind: 'missing',
          artifact,
          expected,
          message: `${artifact}: ${read.problem} (handed over with ${expected})${await checkout.behindOn(artifact)}`,
        })
        continue
      }
      const actual = read.sum
      if (actual !== expected)
        report.problems.push({
          file: h.file,
          kind: 'changed',
          artifact,
          expected,
          actual,
          message: `${artifact}: checksum no longer matches (expected ${expected}, actual ${actual})${await checkout.behindOn(artifact)}`,
        })
    }
  }
  report.ok = report.problems.length === 0
  return report
}

/**
 * Artifacts are read from the working tree, which need not be at the state's tip: a clone behind its remote has not
 * taken the files the sender committed and pushed. `behindOn` says so when the tip has another version of a file than
 * the checkout ('' otherwise), so a missing or changed artifact is not taken for one the sender never shared.
 */
async function checkoutAgainstTip(ws: Workspace): Promise<{behindOn(artifact: string): Promise<string>}> {
  const [tip, head] = await Promise.all([ws.readTip(), ws.repo.readRef('HEAD')])
  if (!tip || head === tip) return {behindOn: async () => ''}
  const [tipTree, headTree] = await Promise.all([ws.repo.commitTree(tip), head ? ws.repo.commitTree(head) : undefined])
  const branch = ws.stateRef.replace(/^refs\/heads\//, '')
  const bringAlong = ws.remote ? `git pull --ff-only ${ws.remote.remote} ${branch}` : `git checkout ${branch}`
  return {
    async behindOn(artifact) {
      const atTip = await treeEntryInfo(ws.repo, tipTree, artifact)
      if (!atTip) return ''
      const here = headTree ? await treeEntryInfo(ws.repo, headTree, artifact) : undefined
      if (here?.oid === atTip.oid) return ''
      return `; this checkout is not at the state's tip ${tip.slice(0, 10)}, which has ${artifact}${here ? ' in another version' : ''}: bring the checkout to it (${bringAlong}) and verify again`
    },
  }
}

async function noSuchTask(ws: Workspace, task: string, field = 'task'): Promise<InputError> {
  const tasks = [...new Set((await readHandoffs(ws)).map((h) => h.file.split('/')[1]!))].sort()
  return new InputError(`no handoff of task ${quoted(task)}`, {
    field,
    fix: tasks.length
      ? `name one of the tasks handed off: ${tasks.slice(0, 10).map(listedName).join(', ')}`
      : 'nothing has been handed off yet: rigor handoff create',
  })
}

interface ReadHandoff {
  file: string
  text: string
  doc?: HandoffFile
  problem?: {kind: 'corrupt' | 'invalid'; expected?: string; actual?: string; message: string}
}

/** The committed handoff files of one task or all, parsed; a corrupt one still yields its artifact list when its content is well formed. */
async function readHandoffs(ws: Workspace, task?: string, field = 'task'): Promise<ReadHandoff[]> {
  // `field`: what the user typed the task as (list's --task flag, verify's argument)
  const dir = task ? `${HANDOFFS_DIR}/${checkName(task, field)}` : HANDOFFS_DIR
  const tip = await ws.readTip()
  const tree = tip ? await ws.repo.commitTree(tip) : undefined
  const files = (await listTreeFiles(ws.repo, tree, dir, {recursive: true})).filter((f) => f.path.endsWith('.yaml'))
  const blobs = await readBlobs(
    ws.repo,
    files.map((f) => f.oid),
  )
  return files.map((f, i) => {
    const text = blobs[i]!.toString('utf8')
    return {file: f.path, text, ...parseHandoff(f.path, text)}
  })
}

function parseHandoff(file: string, text: string): Pick<ReadHandoff, 'doc' | 'problem'> {
  try {
    const doc = loadStateDocument(HandoffFile, text, file)
    if (handoffFilePath(doc) !== file)
      return {
        doc,
        problem: {kind: 'invalid', message: `its content says ${handoffFilePath(doc)}; task, number, from and to must agree with the path`},
      }
    return {doc}
  } catch (err) {
    if (err instanceof CorruptFileError) {
      return {
        doc: loadUnchecked(text, file),
        problem: {
          kind: 'corrupt',
          expected: err.expected,
          actual: err.actual,
          message: `checksum mismatch (expected ${err.expected}, actual ${err.actual})`,
        },
      }
    }
    // the message without the file name in front: the caller prints the file first
    if (err instanceof RigorError)
      return {
        problem: {
          kind: 'invalid',
          message: err.message.startsWith(`${file}, `) ? err.message.slice(file.length + 2) : err.message.replace(`${file}: `, ''),
        },
      }
    throw err
  }
}

function loadUnchecked(text: string, file: string): HandoffFile | undefined {
  try {
    return loadStateDocument(HandoffFile, text, file, {skipChecksum: true})
  } catch {
    return undefined
  }
}

function summarise(file: string, doc: HandoffFile): HandoffSummary {
  const {checksum: _sum, ...rest} = doc
  return {file, ...rest}
}

function checkName(value: string, flag: string): string {
  const parsed = HandoffName.safeParse(value)
  if (!parsed.success)
    throw new InputError(`"${value}" ${parsed.error.issues[0]!.message}`, {
      field: flag,
      fix: `use a lowercase name such as data-prep for ${flag}`,
    })
  return value
}

/**
 * An artifact's bytes in the working tree, read only when it is what `createHandoff`
 * accepts: a regular file whose real path lies inside the workspace (outside .git).
 * The path comes from a committed file anyone could have written: a link out of the
 * workspace, a FIFO or a device (`/dev/zero`, which never ends) is named, never read.
 */
async function readArtifact(root: string, artifact: string): Promise<{ok: true; sum: string} | {ok: false; problem: string}> {
  const missing = {ok: false as const, problem: 'missing'}
  const real = await realpath(join(root, artifact)).catch(() => undefined)
  if (real === undefined) return missing
  const rel = relative(await realpath(root), real)
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep)[0] === '.git')
    return {ok: false, problem: 'not read: it leads outside the workspace'}
  let file: FileHandle
  try {
    // no link followed (the real path has none), and a FIFO does not block the open
    file = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch {
    return missing
  }
  try {
    if (!(await file.stat()).isFile()) return {ok: false, problem: 'not read: it is not a regular file'}
    // streamed: an artifact may be larger than a buffer can hold (model weights, a data set)
    const hash = createHash('sha256')
    for await (const chunk of file.createReadStream({autoClose: false})) hash.update(chunk as Buffer)
    return {ok: true, sum: `sha256:${hash.digest('hex')}`}
  } finally {
    await file.close()
  }
}

/** `path` as a workspace-relative posix path, after checking it is a regular file inside the workspace. */
async function workspacePath(root: string, base: string, path: string): Promise<string> {
  const absolute = resolve(base, path)
  let info: Stats
  try {
    info = await stat(absolute)
  } catch {
    throw new InputError(`artifact ${path} does not exist`, {
      field: '--artifact',
      fix: 'hand over files that exist in the workspace (check the path)',
    })
  }
  if (!info.isFile())
    throw new InputError(`artifact ${path} is not a regular file`, {
      field: '--artifact',
      fix: 'name each file separately; directories are not artifacts',
    })
  // real paths on both sides: a symlink may not smuggle in a file from outside
  const rel = relative(await realpath(root), await realpath(absolute))
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep)[0] === '.git') {
    throw new InputError(`artifact ${path} lies outside the workspace ${root}`, {
      field: '--artifact',
      fix: 'hand over files inside the workspace, so the receiver can check them',
    })
  }
  return rel.split(sep).join('/')
}
