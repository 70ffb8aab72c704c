import {readFile, stat} from 'node:fs/promises'
import {join} from 'node:path'
import type {ConfigCache} from './config-cache.js'
import {utf8Text} from './documents.js'
import {InputError} from '../errors.js'
import type {Repo} from '../git/repo.js'
import type {RemoteLink} from '../git/remote.js'
import {isFileMode, objectId, treeModeName} from '../git/objects.js'
import {treeEntryInfo} from '../git/tree-walk.js'
import {CONFIG_FILE, configLocation} from './layout.js'
import type {ConfigFile} from '../schemas/index.js'

export interface StateBranch {
  /** refs/heads/<branch> */
  stateRef: string
  branch: string
  config: ConfigFile
  /** the commit the config was read from: the state's tip when the command opened */
  tip: string | undefined
  /** the committed text of the config (undefined for `rigor init`'s config about to be committed) */
  configText?: string
  /** whether `config` came from the cache: this very text passed every check before */
  configCached?: boolean
}

/**
 * Which branch holds rigor's state, and its config, read from that branch's
 * committed tip, never from the working tree: an uncommitted edit of rigor.yaml,
 * or a runner that rewrites it, cannot change the gates that judge a run.
 *
 * The branch is `branch:` of the committed rigor.yaml when it names one (read
 * first at the checked-out commit, then confirmed at the state branch's own tip),
 * else the branch checked out. A detached HEAD without `branch:` is refused:
 * guessing `main` once seeded an orphan branch in a repository that had none.
 */
export async function resolveStateBranch(
  repo: Repo,
  opts: {remote?: (branch: string) => RemoteLink; config?: ConfigFile; cache?: ConfigCache} = {},
): Promise<StateBranch & {remote?: RemoteLink}> {
  const head = await repo.headRef()
  // the checked-out commit is usually the state's tip: one text is parsed (or found in the cache) once
  const seen = new Map<string, {config: ConfigFile; cached: boolean}>()
  const load = async (text: string, file: string) => {
    let known = seen.get(text)
    if (!known) {
      const cached = await opts.cache?.lookup(text)
      // the schemas are built when a text is parsed, not when a command that finds it in the cache starts
      known = cached ? {config: cached, cached: true} : {config: (await import('./config.js')).parseConfig(text, file), cached: false}
      seen.set(text, known)
    }
    return known
  }
  if (opts.config) {
    // rigor init: the config about to be committed
    const branch = opts.config.branch ?? branchOf(head) ?? (await detachedError(repo))
    const stateRef = `refs/heads/${branch}`
    return {stateRef, branch, config: opts.config, tip: await repo.readRef(stateRef)}
  }
  // the checked-out commit's rigor.yaml may name the state branch
  const checkedOut = await repo.readRef(head ?? 'HEAD')
  const here = configLocation(shortRef(head) ?? 'HEAD')
  const local = checkedOut ? await committedConfigText(repo, checkedOut, here) : undefined
  const named = local !== undefined ? (await loadAt(load, repo, checkedOut!, local, here)).config.branch : undefined
  let branch = named ?? branchOf(head)
  if (!branch) return detachedError(repo)
  for (let hop = 0; ; hop++) {
    const stateRef = `refs/heads/${branch}`
    const remote = opts.remote?.(branch)
    const tip = remote ? await remote.fetch() : await repo.readRef(stateRef)
    const atTip = configLocation(branch, remote?.remote)
    const text = tip ? await committedConfigText(repo, tip, atTip) : undefined
    if (text === undefined && hop === 0 && named !== undefined && named !== branchOf(head))
      throw namedBranchMissing(head, branch, tip !== undefined, remote?.remote)
    if (text === undefined && remote && tip === undefined) throw await remoteBranchMissing(repo, branch, remote.remote, stateRef)
    if (text === undefined)
      throw notAWorkspace(repo, branch, {
        tip,
        removedBy: tip && (await configRemovedBy(repo, tip)),
        draft: await workingTreeHasConfig(repo),
        others: tip === undefined ? await branchesToSwitchTo(repo) : [],
      })
    const {config, cached} = await loadAt(load, repo, tip!, text, atTip)
    // the state branch's own config has the last word on which branch holds the state
    if (!config.branch || config.branch === branch) return {stateRef, branch, config, tip, remote, configText: text, configCached: cached}
    if (hop > 0) {
      throw new InputError(`says the state is on branch ${config.branch}, whose ${CONFIG_FILE} says it is on ${branch}`, {
        file: atTip,
        field: 'branch',
        fix: `commit one rigor.yaml with the same branch: on both branches`,
      })
    }
    branch = config.branch
  }
}

/** `label`: where the text is read, as messages name it (configLocation) */
async function committedConfigText(repo: Repo, commit: string, label: string): Promise<string | undefined> {
  const blob = await repo.readFileAt(commit, CONFIG_FILE)
  if (blob === undefined) {
    await refuseUnlikeAFile(repo, commit)
    return undefined
  }
  try {
    return utf8Text(blob, label)
  } catch (err) {
    await refuseUnlikeAFile(repo, commit)
    throw err
  }
}

/** Parses the config committed at `commit`; when it does not parse, says first whether it was a file at all. */
type Loaded = {config: ConfigFile; cached: boolean}

async function loadAt(
  load: (text: string, file: string) => Promise<Loaded>,
  repo: Repo,
  commit: string,
  text: string,
  file: string,
): Promise<Loaded> {
  try {
    return await load(text, file)
  } catch (err) {
    await refuseUnlikeAFile(repo, commit)
    throw err
  }
}

/**
 * rigor.yaml committed as something other than a regular file: a symbolic link (whose
 * blob is the link's target, read as YAML it is one string), a directory or a submodule.
 * Only looked at when the config is missing or does not parse: the common path reads one blob.
 */
async function refuseUnlikeAFile(repo: Repo, commit: string): Promise<void> {
  const entry = await treeEntryInfo(repo, await repo.commitTree(commit), CONFIG_FILE)
  if (!entry || isFileMode(entry.mode)) return
  throw new InputError(
    `is committed as ${treeModeName(entry.mode)}, not a regular file; rigor reads its config from the committed file only`,
    {
      file: configLocation(commit.slice(0, 10)),
      fix: `commit rigor.yaml itself as a regular file (git rm --cached ${CONFIG_FILE}, put the file in its place, git add ${CONFIG_FILE} && git commit)`,
    },
  )
}

async function workingTreeHasConfig(repo: Repo): Promise<boolean> {
  return stat(join(repo.paths.root, CONFIG_FILE)).then(
    () => true,
    () => false,
  )
}

/** `branch:` in the checked-out commit's rigor.yaml names a branch that does not exist, or holds no rigor.yaml. */
function namedBranchMissing(head: string | undefined, branch: string, exists: boolean, remote: string | undefined): InputError {
  const here = shortRef(head) ?? 'HEAD'
  const where = remote ? `branch ${branch} of ${remote}` : `branch ${branch}`
  return new InputError(
    `names ${branch} as the state branch, but ${where} ${exists ? `has no committed ${CONFIG_FILE}` : 'does not exist'}`,
    {
      file: configLocation(here),
      field: 'branch',
      fix: exists
        ? `commit ${CONFIG_FILE} on ${branch} (or merge ${here} into it), or correct branch: in ${CONFIG_FILE}`
        : remote
          ? `push the state branch (git push ${remote} ${here}:${branch}), or correct branch: in ${CONFIG_FILE}`
          : `create it from this commit (git branch ${branch} ${head === undefined ? 'HEAD' : here}), or correct branch: in ${CONFIG_FILE}`,
    },
  )
}

/** The commit that removed rigor.yaml from the history of `tip` (abbreviated), if it ever had one: one git call, made only when it is missing. */
async function configRemovedBy(repo: Repo, tip: string): Promise<string | undefined> {
  const found = await repo.git(['log', '-1', '--diff-filter=D', '--format=%h', tip, '--', CONFIG_FILE], {allowFailure: true})
  return found.stdout.trim() || undefined
}

/**
 * --remote names a remote that has no state branch yet (a new, empty repository for the team): the local branch's
 * commits are not there, and the usual "not committed" messages would point at the wrong place.
 */
async function remoteBranchMissing(repo: Repo, branch: string, remote: string, stateRef: string): Promise<InputError> {
  const localTip = await repo.readRef(stateRef)
  const localIsWorkspace = localTip !== undefined && (await repo.readFileAt(localTip, CONFIG_FILE)) !== undefined
  // a clone of a bare repository whose HEAD names no branch (git init --bare made it master, main was pushed)
  // checks out nothing: the state is on another of the remote's branches, and `rigor init` would start a second one
  const others = localIsWorkspace ? [] : await remoteBranches(repo, remote)
  const listed = others.slice(0, 5).join(', ') + (others.length > 5 ? ', ...' : '')
  return new InputError(
    `${remote} has no branch ${branch}${others.length ? ` (it has ${listed})` : ''}: the shared state starts from a workspace pushed there`,
    {
      fix: localIsWorkspace
        ? `push this workspace's branch there first (git push ${remote} ${branch}), then run the command again`
        : others.length
          ? `check out the state branch (git switch ${others.length === 1 ? others[0] : '<branch>'}), then run the command again`
          : `run \`rigor init\` here, push it (git push ${remote} ${branch}), then run the command again; or clone a remote that holds one`,
    },
  )
}

/** The branches of `remote` this clone knows of (its remote-tracking refs), HEAD left out. */
async function remoteBranches(repo: Repo, remote: string): Promise<string[]> {
  const listed = await repo.git(['for-each-ref', '--format=%(refname)', `refs/remotes/${remote}/`], {allowFailure: true})
  const prefix = `refs/remotes/${remote}/`
  return listed.stdout
    .split('\n')
    .filter((ref) => ref.startsWith(prefix) && ref !== `${prefix}HEAD`)
    .map((ref) => ref.slice(prefix.length))
}

function notAWorkspace(
  repo: Repo,
  branch: string,
  at: {tip: string | undefined; removedBy: string | undefined; draft: boolean; others: string[]},
): InputError {
  // a workspace whose config a commit removed keeps its history: `rigor init` would start another configuration over it
  const removed = at.removedBy && `commit ${at.removedBy} removed it`
  const restore = at.removedBy && `git checkout ${at.removedBy}^ -- ${CONFIG_FILE} && git commit -m "restore ${CONFIG_FILE}"`
  if (at.draft) {
    return new InputError(
      `${CONFIG_FILE} is in the working tree but not committed on branch ${branch}${removed ? ` (${removed})` : ''}; rigor reads its config from the branch tip only`,
      {
        fix: `commit it (git add ${CONFIG_FILE} && git commit -m "rigor config")${removed ? '' : ', or run `rigor init`'}`,
      },
    )
  }
  if (removed)
    return new InputError(
      `${CONFIG_FILE} is missing at the tip of branch ${branch}: ${removed}; rigor reads its config from the branch tip only`,
      {
        fix: `restore it as it was before that commit, then commit: ${restore}`,
      },
    )
  if (at.tip === undefined && at.others.length > 0) {
    // a clone whose remote's HEAD names no branch (a bare repository that git init made master, main pushed) checks
    // out nothing: the workspace is on one of the other branches, and `rigor init` here would start a second state
    const listed = at.others.slice(0, 5).join(', ') + (at.others.length > 5 ? ', ...' : '')
    return new InputError(
      `branch ${branch} has no commits yet (this repository has ${listed}): ${repo.paths.root} is not a rigor workspace`,
      {
        fix: `check out the branch that holds the workspace (git switch ${at.others.length === 1 ? at.others[0] : '<branch>'}), or run \`rigor init\` to start one on ${branch}`,
      },
    )
  }
  return new InputError(
    at.tip !== undefined
      ? `branch ${branch} has no committed ${CONFIG_FILE}: ${repo.paths.root} is not a rigor workspace`
      : `branch ${branch} has no commits yet: ${repo.paths.root} is not a rigor workspace`,
    {fix: 'run `rigor init` first, or pass --cwd with a workspace'},
  )
}

/** The branches `git switch` can check out here: local ones and those of every remote (by their short name), HEAD left out. */
async function branchesToSwitchTo(repo: Repo): Promise<string[]> {
  const listed = await repo.git(['for-each-ref', '--format=%(refname)', 'refs/heads/', 'refs/remotes/'], {allowFailure: true})
  const names = new Set<string>()
  for (const ref of listed.stdout.split('\n')) {
    if (ref.startsWith('refs/heads/')) names.add(ref.slice('refs/heads/'.length))
    else if (ref.startsWith('refs/remotes/') && !ref.endsWith('/HEAD')) names.add(ref.split('/').slice(3).join('/'))
  }
  return [...names].filter(Boolean)
}

async function detachedError(repo: Repo): Promise<never> {
  // the fix names this repository's branch when it has one (not every repository's is main)
  const listed = await repo.git(['for-each-ref', '--format=%(refname:short)', 'refs/heads'], {allowFailure: true})
  const branches = listed.stdout.split('\n').filter(Boolean)
  const target =
    branches.length === 1
      ? branches[0]
      : `<branch>${branches.length > 1 ? `: one of ${branches.slice(0, 5).join(', ')}${branches.length > 5 ? ', ...' : ''}` : ''}`
  throw new InputError(
    `HEAD is detached in ${repo.paths.root} (a checkout of a commit, or a rebase or bisect in progress), and ${CONFIG_FILE} names no state branch`,
    {
      fix: `check out the state branch (git switch ${target}), finish the rebase or bisect, or commit "branch: <name>" in ${CONFIG_FILE}`,
    },
  )
}

const branchOf = (ref: string | undefined): string | undefined =>
  ref?.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined
const shortRef = (ref: string | undefined): string | undefined => branchOf(ref) ?? ref

/** What a command says when configDraftDiffers: an edit that changes nothing yet is the first trap of a new user. */
export const CONFIG_DRAFT_WARNING =
  'rigor.yaml in the working tree differs from the committed one: it is a draft and judges nothing until you commit it (git commit rigor.yaml); this command follows the committed rigor.yaml'

/**
 * The warning for a rigor.yaml that differs from the state branch's, or undefined when it does not. With --remote,
 * one committed on the local branch but not pushed is said as such: "commit it" would send the user to do what is done.
 */
export async function configDraftWarning(
  repo: Repo,
  tip: string | undefined,
  shared?: {remote: string; branch: string; stateRef: string},
): Promise<string | undefined> {
  if (!(await configDraftDiffers(repo, tip))) return undefined
  if (shared) {
    const local = await repo.readRef(shared.stateRef)
    if (local && local !== tip && !(await configDraftDiffers(repo, local)))
      return `${CONFIG_FILE} is committed on ${shared.branch} here but not pushed to ${shared.remote}: the shared state judges by ${shared.remote}'s until you push it (git push ${shared.remote} ${shared.branch}); this command follows ${shared.remote}'s ${CONFIG_FILE}`
  }
  return CONFIG_DRAFT_WARNING
}

/**
 * Whether the working tree's rigor.yaml differs from the committed one: it is a
 * draft that judges nothing until committed (`rigor status` says so).
 */
export async function configDraftDiffers(repo: Repo, tip: string | undefined): Promise<boolean> {
  const committed = tip ? await repo.readFileAt(tip, CONFIG_FILE) : undefined
  const draft = await readFile(join(repo.paths.root, CONFIG_FILE)).catch(() => undefined)
  if (!draft || !committed) return draft !== undefined && committed === undefined
  if (draft.equals(committed)) return false
  // a checkout with core.autocrlf (or a text attribute) holds the committed file with CRLF: the same once git converts it
  const cleaned = await repo.cleanBlobIds([CONFIG_FILE])
  return cleaned.get(CONFIG_FILE) !== objectId('blob', committed, repo.format)
}
