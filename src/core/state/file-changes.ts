/**
 * Which commits made a file what it is at the tip, as trust must see them
 * (auditors.ts: who stands behind an audit, which change of `auditors:`
 * counts).
 *
 * git's own path-limited log follows, at a merge, a parent the merge took the
 * file from unchanged, and never looks at the other: a merge that put back an
 * older signed PASS over the FAIL that replaced it, or took an unsigned change
 * of `auditors:` from a side branch over the signed one, was invisible there.
 * Here the state branch's own line (first parents) is walked, and a merge that
 * changed the file counts as the change, unless it is a clean merge of a side
 * branch (the branch's side did not touch the file since the two parted, and
 * the merge took the side's version as it was): then the side branch's own
 * changes since the parting are walked the same way. Whatever a merge decided
 * itself (a conflict resolved, one side's version taken over the other's
 * change) is the merge's own change, and counts only if the merge is signed.
 */
import type {Repo} from '../git/repo.js'

/** The commits that changed `file` as it reached `tip`, newest first (see above); `since` excludes its own history. */
export async function fileChanges(repo: Repo, tip: string, file: string, since?: string): Promise<string[]> {
  const range = since ? [`^${since}`, tip] : [tip]
  const log = await repo.git(['--literal-pathspecs', 'log', '--first-parent', '--no-renames', '--format=%H %P', ...range, '--', file])
  const changes: string[] = []
  for (const line of log.stdout.split('\n').filter(Boolean)) {
    const [commit, ...parents] = line.split(' ') as [string, ...string[]]
    const side = parents.length === 2 ? await cleanSide(repo, commit, parents as [string, string], file) : undefined
    if (side) changes.push(...(await fileChanges(repo, side.tip, file, side.base)))
    else changes.push(commit)
  }
  return changes
}

/** The side a merge took `file` from unchanged, when taking it was no decision of the merge's own. */
async function cleanSide(
  repo: Repo,
  merge: string,
  [first, second]: [string, string],
  file: string,
): Promise<{tip: string; base: string} | undefined> {
  const base = await mergeBase(repo, first, second)
  if (!base) return undefined
  return (await carriedCleanly(repo, merge, [first, second], base, file)) ? {tip: second, base} : undefined
}

/** The newest common ancestor of two commits, or undefined for unrelated histories. */
export async function mergeBase(repo: Repo, a: string, b: string): Promise<string | undefined> {
  return (await repo.git(['merge-base', a, b], {allowFailure: true})).stdout.trim() || undefined
}

/** Whether `merge` took `file` from its second parent as it was, over a first parent that had not touched it since `base`. */
export async function carriedCleanly(
  repo: Repo,
  merge: string,
  [first, second]: [string, string],
  base: string,
  file: string,
): Promise<boolean> {
  const [atMerge, atFirst, atSecond, atBase] = await Promise.all([merge, first, second, base].map((c) => blobAt(repo, c, file)))
  return atMerge === atSecond && atFirst === atBase
}

/** The blob id of `file` in `commit`, or '' when it has none (any file name: the path is taken literally). */
export async function blobAt(repo: Repo, commit: string, file: string): Promise<string> {
  const entry = (await repo.git(['--literal-pathspecs', 'ls-tree', '-z', '--full-tree', commit, '--', file])).stdout
  // "<mode> <type> <oid>\t<path>\0": a directory of that name is not the file
  const [meta] = entry.split('\t')
  const [, type, oid] = (meta ?? '').split(' ')
  return type === 'blob' ? (oid ?? '') : ''
}

/** One commit of a first-parent log: what it changed under the paths asked about. */
export interface PathChanges {
  commit: string
  parents: string[]
  /** it carries `Rigor-Action` (rigor made it, or says so) */
  byRigor: boolean
  paths: string[]
}

/**
 * The first-parent commits of `tip` that changed anything under `paths`, newest first (at most `max`), with what they
 * changed there; not the commits a shallow clone is cut at.
 */
export async function firstParentChanges(repo: Repo, tip: string, paths: readonly string[], max?: number): Promise<PathChanges[]> {
  const log = await repo.git([
    '--literal-pathspecs',
    'log',
    '--first-parent',
    '--no-renames',
    '--name-only',
    '-z',
    ...(max ? [`--max-count=${max}`] : []),
    '--format=%x1e%H%x1f%P%x1f%(trailers:key=Rigor-Action,valueonly,separator=%x20)',
    tip,
    '--',
    ...paths,
  ])
  // a commit where a shallow clone's history is cut changed nothing: it only shows as adding every file it has
  const cut = await repo.shallowBoundary()
  return log.stdout
    .split('\x1e')
    .filter(Boolean)
    .map((raw) => {
      const end = raw.indexOf('\0')
      const [commit, parents, action] = (end === -1 ? raw : raw.slice(0, end)).split('\x1f')
      const rest = end === -1 ? '' : raw.slice(end + 1).replace(/^\n/, '')
      return {
        commit: commit!,
        parents: (parents ?? '').split(' ').filter(Boolean),
        byRigor: Boolean(action?.trim()),
        paths: rest.split('\0').filter(Boolean),
      }
    })
    .filter((change) => !cut.has(change.commit))
}

/**
 * Every path under `dir` that some commit of `tip`'s history ever had (any
 * parent's line, not only the state branch's own), including ones gone at the
 * tip: what a removal of a signed file, or a merge that dropped one, is looked
 * for in.
 */
export async function pathsEverUnder(repo: Repo, tip: string, dir: string): Promise<string[]> {
  const log = await repo.git([
    '--literal-pathspecs',
    'log',
    '--full-history',
    '--no-renames',
    '--name-only',
    '-z',
    '--format=',
    tip,
    '--',
    dir,
  ])
  return [
    ...new Set(
      log.stdout
        .split('\0')
        .map((p) => p.replace(/^\n/, ''))
        .filter(Boolean),
    ),
  ]
}

/** Every commit of `tip`'s history that changed `file` against a parent, on any line, newest first. */
export async function allChangesOf(repo: Repo, tip: string, file: string): Promise<string[]> {
  const log = await repo.git(['--literal-pathspecs', 'log', '--full-history', '--no-renames', '--format=%H', tip, '--', file])
  return log.stdout.split('\n').filter(Boolean)
}
