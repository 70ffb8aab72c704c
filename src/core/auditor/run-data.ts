import {runFingerprint} from '../dag/inputs.js'
import type {Repo} from '../git/repo.js'
import type {NodeFile, VerdictFile} from '../schemas/index.js'
import {blobAt} from '../state/file-changes.js'
import {readBlobs} from '../state/tree-files.js'

/** How many versions of the data file, newest first, are searched for the one a run read. */
const VERSIONS_SEARCHED = 100

export interface EditedRunData {
  /** 1-based line of the first difference */
  line: number
  /** that line as the run read it, and as it is now (quoted, shortened) */
  was: string
  is: string
}

/**
 * Where the node's data file, as committed now, no longer begins with the bytes
 * its run read: a price corrected or removed since. Judged on the file as it is
 * now, the run's positions would look as if they read the future, and its returns
 * as if its positions never earned them. Rows appended since (new prices, as paper
 * trading needs) change nothing the run read. The version the run read is found
 * by the fingerprint its verdict records (command, params, data blob, inputs);
 * without one that matches, nothing can be said.
 */
export function editedRunData(
  repo: Repo,
  tip: string,
  node: Pick<NodeFile, 'run' | 'params' | 'data'>,
  verdict: Pick<VerdictFile, 'fingerprint' | 'inputs'>,
  currentOid: string,
): Promise<EditedRunData | undefined> {
  return new RunDataReader(repo, tip).edited(node, verdict, currentOid)
}

/**
 * editedRunData for many nodes at one tip (`rigor verify`): each data file's
 * versions are listed once, and each pair of versions compared once, however
 * many nodes read them.
 */
export class RunDataReader {
  private readonly versions = new Map<string, Promise<string[]>>()
  private readonly compared = new Map<string, Promise<EditedRunData | undefined>>()

  constructor(
    private readonly repo: Repo,
    private readonly tip: string,
  ) {}

  async edited(
    node: Pick<NodeFile, 'run' | 'params' | 'data'>,
    verdict: Pick<VerdictFile, 'fingerprint' | 'inputs'>,
    currentOid: string,
  ): Promise<EditedRunData | undefined> {
    const data = node.data
    if (!data || !verdict.fingerprint) return undefined
    const readBy = (oid: string) => runFingerprint(node, verdict.inputs, oid) === verdict.fingerprint
    if (readBy(currentOid)) return undefined
    const read = (await this.versionsOf(data)).find(readBy)
    if (!read) return undefined
    const key = `${read} ${currentOid}`
    if (!this.compared.has(key)) this.compared.set(key, this.firstDifference(read, currentOid))
    return this.compared.get(key)
  }

  /** The blob ids the data file had, newest first (at most VERSIONS_SEARCHED of its commits). */
  private versionsOf(path: string): Promise<string[]> {
    let known = this.versions.get(path)
    if (!known) {
      known = this.repo
        .commitsTouching(this.tip, path, {limit: VERSIONS_SEARCHED})
        .then((commits) => Promise.all(commits.map((commit) => blobAt(this.repo, commit, path))))
        .then((oids) => oids.filter(Boolean))
      this.versions.set(path, known)
    }
    return known
  }

  private async firstDifference(read: string, current: string): Promise<EditedRunData | undefined> {
    const [before, after] = (await readBlobs(this.repo, [read, current])).map(lines)
    const line = before!.findIndex((text, i) => after![i] !== text)
    if (line === -1) return undefined
    return {line: line + 1, was: shown(before![line]), is: shown(after![line])}
  }
}

function lines(bytes: Buffer): string[] {
  const all = bytes.toString('utf8').split(/\r?\n/)
  if (all.at(-1) === '') all.pop()
  return all
}

const shown = (line: string | undefined): string =>
  line === undefined ? 'no such line' : JSON.stringify(line.length > 80 ? `${line.slice(0, 77)}...` : line)
