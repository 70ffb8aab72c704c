/**
 * State files a commit not made by rigor changed, as the tip still shows them.
 *
 * rigor commits its state with plumbing, never through the index; a checkout
 * whose index could not follow the branch (an `index.lock` left by another
 * git) holds the versions from before. A plain `git commit` there, of any
 * file, commits those too: verdicts vanish, nodes go back to pending, and the
 * next `rigor work` runs them again as if for the first time. Every such file
 * still carries a valid checksum (it is an older version), so only the history
 * tells: a path whose content at the tip is not what rigor last wrote there.
 *
 * rigor's own commits carry `Rigor-Action`; a merge commit's change counts as
 * rigor's when it took a side branch's version cleanly (the line's own side
 * had not touched the path since they parted), the way a reviewed branch of
 * audits is merged. A later commit that puts rigor's version back, by hand or
 * not, clears the path.
 */
import type {Repo} from '../git/repo.js'
import type {Workspace} from './workspace.js'
import {blobAt, fileChanges, firstParentChanges as stateLog} from './file-changes.js'
import {CHECKSUMMED_DIRS, documentKindOf, EXPERIMENTS_DIR} from './layout.js'

export interface HandChange {
  path: string
  /** the newest commit not made by rigor that changed it */
  commit: string
  /** added: rigor never wrote it; removed: rigor's version is gone; changed: it differs from rigor's version */
  change: 'added' | 'removed' | 'changed'
  /** the commit holding what rigor last wrote at the path */
  rigor_commit: string | null
}

/** how many commits every command looks at for a hand commit above rigor's newest */
const RECENT = 20

/**
 * The state paths whose content at `tip` is not what rigor last wrote. `recent`
 * looks only at the commits above the newest rigor commit that touched state
 * (what every command can afford: one git call when there is none); otherwise
 * at the whole first-parent history. `under` narrows the look to some folders
 * or files and `only` to some paths (the deploy gate's: one node's files).
 */
export async function handChanges(
  repo: Repo,
  tip: string,
  opts: {recent?: boolean; under?: readonly string[]; only?: (path: string) => boolean} = {},
): Promise<HandChange[]> {
  const records = await stateLog(repo, tip, opts.under ?? CHECKSUMMED_DIRS, opts.recent ? RECENT : undefined)
  let hand = records.filter((r) => !r.byRigor)
  if (opts.recent) {
    const newestByRigor = records.findIndex((r) => r.byRigor)
    if (newestByRigor === 0 || records.length === 0) return []
    if (newestByRigor > 0) hand = records.slice(0, newestByRigor)
    // a merge (a pull) may bring hundreds of rigor's files: looking into each at every command would cost seconds;
    // what a merge brought is rigor verify's to look into
    hand = hand.filter((r) => r.parents.length < 2)
  }
  const paths = new Set(hand.flatMap((r) => r.paths).filter((path) => rigorWrites(path) && (opts.only?.(path) ?? true)))
  const changes: HandChange[] = []
  for (const path of [...paths].sort()) {
    const change = await handChangeOf(repo, tip, path)
    if (change) changes.push(change)
  }
  return changes
}

/** rigor's own files: its documents and the runs' outputs (a note of yours in reports/ is yours) */
const rigorWrites = (path: string): boolean =>
  documentKindOf(path) !== undefined || (path.startsWith(`${EXPERIMENTS_DIR}/`) && path.includes('/out/'))

/** Whether `path` at the tip is what rigor last wrote there, and if not, who changed it since. */
export async function handChangeOf(repo: Repo, tip: string, path: string): Promise<HandChange | undefined> {
  // who made the path what it is, a clean merge's side branch followed in (file-changes.ts): a stale-index commit that
  // came in through a merge (a pull) is found on the side it was made on
  const changers = await fileChanges(repo, tip, path)
  const byRigor = await rigorCommits(repo, changers)
  const cut = await repo.shallowBoundary()
  let commit: string | undefined
  let rigorCommit: string | null = null
  for (const changer of changers) {
    if (byRigor.has(changer)) {
      rigorCommit = changer
      break
    }
    // a shallow clone's history ends here before rigor's version: what rigor last wrote cannot be known, so nothing is said
    if (cut.has(changer)) return undefined
    commit ??= changer
  }
  // rigor's own change is the newest: nothing changed it since
  if (!commit) return undefined
  const [atTip, written] = await Promise.all([blobAt(repo, tip, path), rigorCommit ? blobAt(repo, rigorCommit, path) : ''])
  if (atTip === written) return undefined
  return {path, commit, change: !written ? 'added' : !atTip ? 'removed' : 'changed', rigor_commit: rigorCommit}
}

/** Which of `commits` carry a `Rigor-Action` trailer. */
async function rigorCommits(repo: Repo, commits: readonly string[]): Promise<Set<string>> {
  if (commits.length === 0) return new Set()
  const log = await repo.git([
    'log',
    '--no-walk=unsorted',
    '--format=%H%x1f%(trailers:key=Rigor-Action,valueonly,separator=%x20)%x1e',
    ...commits,
  ])
  const found = new Set<string>()
  for (const record of log.stdout.split('\x1e')) {
    const [commit, action] = record.trim().split('\x1f')
    if (commit && action?.trim()) found.add(commit)
  }
  return found
}

/**
 * The commands that put rigor's versions back (a plain commit of a stale index
 * is the usual cause), grouped by the commit that holds them; a few shown.
 */
export function handChangesFix(changes: readonly HandChange[]): string {
  const byCommit = new Map<string, string[]>()
  for (const c of changes) {
    const key = c.rigor_commit ?? ''
    byCommit.set(key, [...(byCommit.get(key) ?? []), c.path])
  }
  // in single quotes, as a POSIX shell takes them: a runner names its outputs, and "$(...)" would run when pasted
  const quote = (path: string) => (/^[\w./@-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`)
  const commands = [...byCommit].map(([commit, paths]) => {
    // in full, so that it can be pasted; past a screenful the JSON lists them
    const listed = paths.length <= 8 ? paths.map(quote).join(' ') : `<the ${paths.length} paths rigor verify --json lists>`
    return commit ? `git checkout ${commit.slice(0, 10)} -- ${listed}` : `git rm -- ${listed}`
  })
  return (
    `put back what rigor wrote, then commit: ${commands.slice(0, 3).join('; ')}${commands.length > 3 ? `; and ${commands.length - 3} more (see --json)` : ''}. ` +
    'A plain git commit in a checkout whose index rigor could not update (a warning said so) is the usual cause: run rigor verify, which brings the index up to date, before committing there'
  )
}

/**
 * What every command says when a commit above rigor's newest changed rigor's files (undefined when none did). Through
 * a remote, the clone's own branch is looked at too when it has commits the remote lacks: a commit made there over a
 * checkout rigor had not updated yet reverts verdicts, and is best found before it is pushed or pulled along.
 */
export async function recentHandChangesWarning(ws: Workspace): Promise<string | undefined> {
  const tip = await ws.readTip()
  if (!tip) return undefined
  const local = ws.remote ? await ws.repo.readRef(ws.stateRef) : undefined
  const unpushed = local !== undefined && local !== tip && !(await ws.repo.isAncestor(local, tip))
  const found = await handChanges(ws.repo, tip, {recent: true})
  const changes = found.length > 0 || !unpushed ? found : await handChanges(ws.repo, local, {recent: true})
  if (changes.length === 0) return undefined
  const shown = changes
    .slice(0, 3)
    .map((c) => `${c.path} (${c.change})`)
    .join(', ')
  const said = `${changes.length} state file(s) were changed by commit(s) rigor did not make (${shown}${changes.length > 3 ? ' and more' : ''})`
  if (found.length === 0) {
    const branch = ws.stateRef.replace(/^refs\/heads\//, '')
    return `${said}, on ${branch}, not on ${ws.remote!.remote} yet: do not push them as they are; rigor verify (without --remote) lists them and how to put rigor's versions back`
  }
  return `${said}; rigor verify lists them and how to put rigor's versions back`
}
