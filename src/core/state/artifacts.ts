import {mkdir, readFile, writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import {sha256} from './checksum.js'
import type {Repo} from '../git/repo.js'
import {outDirPath} from './layout.js'
import {listTreeFiles, readBlobs} from './tree-files.js'

/**
 * A node's current artifacts: every file committed under experiments/<id>/out/,
 * its sha256 recomputed from the committed bytes (never taken from the verdict),
 * keyed `out/<path>` like the verdict's and the audit's `artifacts`.
 */
export interface CurrentArtifacts {
  sums: Record<string, string>
  /** blob ids, to write the exact audited bytes somewhere */
  oids: Record<string, string>
}

export async function currentArtifacts(repo: Repo, tree: string | undefined, id: string): Promise<CurrentArtifacts> {
  const dir = outDirPath(id)
  const files = await listTreeFiles(repo, tree, dir, {recursive: true})
  const blobs = await readBlobs(
    repo,
    files.map((f) => f.oid),
  )
  const sums: Record<string, string> = {}
  const oids: Record<string, string> = {}
  files.forEach((file, i) => {
    const key = `out/${file.path.slice(dir.length + 1)}`
    sums[key] = sha256(blobs[i]!)
    oids[key] = file.oid
  })
  return {sums, oids}
}

export interface ArtifactDifference {
  path: string
  kind: 'changed' | 'added' | 'removed'
  /** the sum on the reference side (verdict, audit) and now */
  was?: string
  now?: string
}

/** How `now` differs from `reference`; empty when they are the same set of files with the same sums. */
export function artifactDifferences(reference: Record<string, string>, now: Record<string, string>): ArtifactDifference[] {
  const out: ArtifactDifference[] = []
  for (const [path, was] of Object.entries(reference)) {
    if (!(path in now)) out.push({path, kind: 'removed', was})
    else if (now[path] !== was) out.push({path, kind: 'changed', was, now: now[path]})
  }
  for (const [path, sum] of Object.entries(now)) if (!(path in reference)) out.push({path, kind: 'added', now: sum})
  return out.sort((a, b) => (a.path < b.path ? -1 : 1))
}

export function describeDifferences(diffs: ArtifactDifference[], limit = 5): string {
  const shown = diffs
    .slice(0, limit)
    .map((d) => (d.kind === 'changed' ? `${d.path} changed (${short(d.was)} -> ${short(d.now)})` : `${d.path} ${d.kind}`))
  return shown.join(', ') + (diffs.length > limit ? ` and ${diffs.length - limit} more` : '')
}

const short = (sum: string | undefined): string => (sum ? `${sum.slice(0, 19)}…` : '-')

/** Working-tree copies of the artifacts that differ from the committed ones (a hand edit not yet committed). */
export async function workingTreeDifferences(root: string, id: string, sums: Record<string, string>): Promise<ArtifactDifference[]> {
  const diffs: ArtifactDifference[] = []
  for (const [key, was] of Object.entries(sums)) {
    const bytes = await readFile(join(root, outDirPath(id), key.slice('out/'.length))).catch(() => undefined)
    const now = bytes ? sha256(bytes) : undefined
    if (now !== was) diffs.push({path: `${outDirPath(id)}/${key.slice(4)}`, kind: now ? 'changed' : 'removed', was, now})
  }
  return diffs
}

/** Writes the committed artifact bytes into `dir` (for a checkout that does not hold the state branch). */
export async function materialiseArtifacts(repo: Repo, artifacts: CurrentArtifacts, dir: string): Promise<void> {
  const keys = Object.keys(artifacts.oids)
  const blobs = await readBlobs(
    repo,
    keys.map((k) => artifacts.oids[k]!),
  )
  for (const [i, key] of keys.entries()) {
    const target = join(dir, key.slice('out/'.length))
    await mkdir(dirname(target), {recursive: true})
    await writeFile(target, blobs[i]!)
  }
}
