import {loadAuditRecord} from './record.js'
import {RigorError} from '../errors.js'
import type {Repo} from '../git/repo.js'
import type {AuditFrontMatter} from '../schemas/index.js'
import {listTreeFiles, readBlobs} from '../state/tree-files.js'
import {auditsDirPath, verdictFilePath} from '../state/layout.js'
import {parseYaml} from '../state/documents.js'
import {VerdictFile} from '../schemas/index.js'

export interface NodeAudit {
  file: string
  front: AuditFrontMatter
}

/**
 * Whether `path` is one of the files an audit of `id` is read from: a report
 * (`audits/<id>/<name>.md`) or the record beside it (`<name>.json`, whose
 * checksum the report holds), one level deep (a child node's audits live in
 * their own folder). Tampering with either changes what the gate reads, so the
 * signature checks look at both.
 */
export function isAuditFileOf(id: string, path: string): boolean {
  const dir = `${auditsDirPath(id)}/`
  if (!path.startsWith(dir)) return false
  const name = path.slice(dir.length)
  return !name.includes('/') && (name.endsWith('.md') || name.endsWith('.json'))
}

export interface UnusableAudit {
  file: string
  problem: string
}

/**
 * The one reader of audit reports (the deploy gate, health, show, the report
 * and the cycle all use it, so "the latest audit" means one thing everywhere).
 * The committed audit reports of one node: audits/<id>/*.md, one level deep
 * (a child node's reports live in its own subdirectory). A report whose
 * checksum fails, whose front matter is invalid or that covers another node is
 * unusable: it is named, never counted.
 */
export async function readNodeAudits(
  repo: Repo,
  tree: string | undefined,
  id: string,
): Promise<{audits: NodeAudit[]; unusable: UnusableAudit[]}> {
  const listed = await listTreeFiles(repo, tree, auditsDirPath(id))
  const files = listed.filter((f) => f.path.endsWith('.md'))
  const sidecars = listed.filter((f) => f.path.endsWith('.json'))
  const [blobs, sidecarBlobs] = await Promise.all([
    readBlobs(
      repo,
      files.map((f) => f.oid),
    ),
    readBlobs(
      repo,
      sidecars.map((f) => f.oid),
    ),
  ])
  const sidecarText = new Map(sidecars.map((f, i) => [f.path, sidecarBlobs[i]!.toString('utf8')]))
  const audits: NodeAudit[] = []
  const unusable: UnusableAudit[] = []
  files.forEach((f, i) => {
    try {
      const front = loadAuditRecord(blobs[i]!.toString('utf8'), f.path, (path) => sidecarText.get(path))
      if (front.covers.node !== id) unusable.push({file: f.path, problem: `covers node ${front.covers.node}, not ${id}`})
      else audits.push({file: f.path, front})
    } catch (err) {
      if (!(err instanceof RigorError)) throw err
      unusable.push({file: f.path, problem: err.message})
    }
  })
  // newest first: the latest word on the node decides
  audits.sort((a, b) => Date.parse(b.front.audited_at) - Date.parse(a.front.audited_at) || (a.file < b.file ? 1 : -1))
  return {audits, unusable}
}

/**
 * The status of the verdict an audit judged: the node's verdict.yaml at the commit the audit covers (which its
 * record names, and so its signature covers). Undefined when that commit or its verdict is not readable here.
 * A PASS says a run is robust, not that its gates accepted it: an audit of a rejected node may pass, and the status
 * a later commit writes (any commit can say Rigor-Action: verdict) is nobody's signed word.
 */
export async function auditedStatus(repo: Repo, audit: NodeAudit): Promise<string | undefined> {
  const {commit, node} = audit.front.covers
  const bytes = await repo.readFileAt(commit, verdictFilePath(node)).catch(() => undefined)
  if (!bytes) return undefined
  try {
    const parsed = VerdictFile.safeParse(parseYaml(bytes.toString('utf8'), verdictFilePath(node)))
    return parsed.success ? parsed.data.status : undefined
  } catch (err) {
    if (err instanceof RigorError) return undefined
    throw err
  }
}
