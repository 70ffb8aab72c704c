import {loadMarkdownDocument} from '../documents.js'
import {RigorError} from '../errors.js'
import type {Repo} from '../git/repo.js'
import {AuditFrontMatter} from '../schemas/index.js'
import {listTreeFiles, readBlobs} from '../tree-files.js'
import {auditsDirPath} from './paths.js'

export interface NodeAudit {
  file: string
  front: AuditFrontMatter
}

export interface UnusableAudit {
  file: string
  problem: string
}

/**
 * The committed audit reports of one node: audits/<id>/*.md, one level deep
 * (a child node's reports live in its own subdirectory). A report whose
 * checksum fails, whose front matter is invalid or that covers another node is
 * unusable: it is named, never counted.
 */
export async function readNodeAudits(repo: Repo, tree: string | undefined, id: string): Promise<{audits: NodeAudit[]; unusable: UnusableAudit[]}> {
  const files = (await listTreeFiles(repo, tree, auditsDirPath(id))).filter((f) => f.path.endsWith('.md'))
  const blobs = await readBlobs(repo, files.map((f) => f.oid))
  const audits: NodeAudit[] = []
  const unusable: UnusableAudit[] = []
  files.forEach((f, i) => {
    try {
      const {front} = loadMarkdownDocument(AuditFrontMatter, blobs[i]!.toString('utf8'), f.path)
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
