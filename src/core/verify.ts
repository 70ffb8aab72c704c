import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {checkDocument} from './checksum.js'
import {checkMarkdownDocument, parseYaml, splitMarkdownDocument} from './documents.js'
import {RigorError} from './errors.js'
import {removeStaleTempObjects} from './git/temp-objects.js'
import {EXPERIMENTS_DIR} from './paths.js'
import type {Workspace} from './workspace.js'

export const CHECKSUMMED_DIRS = [EXPERIMENTS_DIR, 'audits', 'handoffs', 'deployments', 'reports'] as const

export interface VerifyProblem {
  file: string
  where: 'committed' | 'working tree'
  kind: 'corrupt' | 'invalid'
  message: string
}

export interface VerifyReport {
  ok: boolean
  checked: number
  problems: VerifyProblem[]
  commit: string | null
  /** rigor's temporary object files a crash left in .git/objects, removed (relative to .git/objects) */
  removed_temp_objects: string[]
}

/**
 * Checks every state file: the committed ones on the state branch, and the
 * working-tree copies that differ from them (a hand edit not yet committed).
 */
export async function verifyWorkspace(ws: Workspace): Promise<VerifyReport> {
  const tip = await ws.readTip()
  const problems: VerifyProblem[] = []
  let checked = 0
  const snap = await ws.snapshot(tip)
  for (const record of snap.nodes.values()) {
    checked++
    if (record.problem) problems.push(toProblem(record.problem, 'committed'))
    if (record.verdictOid) {
      checked++
      const problem = await ws.store.verdictProblem(record)
      if (problem) problems.push(toProblem(problem, 'committed'))
    }
  }
  // other checksummed documents (audits, handoffs, deployments, reports)
  if (tip) {
    const listing = await ws.repo.git(['ls-tree', '-r', '--name-only', tip, '--', ...CHECKSUMMED_DIRS.filter((d) => d !== EXPERIMENTS_DIR)])
    for (const path of listing.stdout.split('\n').filter(isChecksummedDocument)) {
      checked++
      const text = (await ws.repo.readFileAt(tip, path))?.toString('utf8') ?? ''
      const problem = checkText(path, text)
      if (problem) problems.push({...problem, where: 'committed'})
    }
  }
  for (const path of await locallyModifiedStateFiles(ws)) {
    let text: string
    try {
      text = await readFile(join(ws.root, path), 'utf8')
    } catch {
      continue
    }
    checked++
    const problem = checkText(path, text)
    if (problem) problems.push({...problem, where: 'working tree'})
  }
  const removed = await removeStaleTempObjects(join(ws.repo.paths.commonDir, 'objects'))
  return {ok: problems.length === 0, checked, problems, commit: tip ?? null, removed_temp_objects: removed}
}

/** State files in this working tree that differ from the committed state (edited, added). */
export async function locallyModifiedStateFiles(ws: Workspace): Promise<string[]> {
  const result = await ws.repo.git(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', ...CHECKSUMMED_DIRS], {allowFailure: true})
  if (result.exitCode !== 0) return []
  return result.stdout
    .split('\0')
    .filter((entry) => entry.length > 3 && entry[0] !== 'D' && entry[1] !== 'D')
    .map((entry) => entry.slice(3))
    .filter(isChecksummedDocument)
}

function isChecksummedDocument(path: string): boolean {
  if (path.includes('/out/') || path.endsWith('/.gitkeep')) return false
  if (path.endsWith('.yaml')) return true
  return (path.startsWith('audits/') || path.startsWith('reports/')) && (path.endsWith('.md') || path.endsWith('.json'))
}

function checkText(file: string, text: string): Omit<VerifyProblem, 'where'> | undefined {
  let check: ReturnType<typeof checkDocument>
  try {
    if (file.endsWith('.json')) {
      const doc = JSON.parse(text) as unknown
      if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return {file, kind: 'invalid', message: 'not a JSON object'}
      check = checkDocument(doc as Record<string, unknown>)
    } else if (file.endsWith('.md')) {
      const {front, body} = splitMarkdownDocument(text, file)
      check = checkMarkdownDocument(front, body)
    } else {
      const doc = parseYaml(text, file)
      if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return {file, kind: 'invalid', message: 'not a YAML mapping'}
      check = checkDocument(doc as Record<string, unknown>)
    }
  } catch (err) {
    return {file, kind: 'invalid', message: err instanceof RigorError ? err.message : String(err)}
  }
  if (!check.ok) return {file, kind: 'corrupt', message: `checksum mismatch (expected ${check.expected}, actual ${check.actual})`}
  return undefined
}

function toProblem(problem: {file: string; kind: 'corrupt' | 'invalid'} & ({expected: string; actual: string} | {message: string}), where: VerifyProblem['where']): VerifyProblem {
  return {
    file: problem.file,
    where,
    kind: problem.kind,
    message: 'message' in problem ? problem.message : `checksum mismatch (expected ${problem.expected}, actual ${problem.actual})`,
  }
}
