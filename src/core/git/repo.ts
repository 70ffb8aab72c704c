import {readFileSync} from 'node:fs'
import {lstat, readFile, stat} from 'node:fs/promises'
import {join, resolve} from 'node:path'
import {InputError, MissingObjectError, RefConflictError} from '../errors.js'
import {listedName, quoted} from '../validation.js'
import {CatFileBatch} from './cat-file.js'
import {LooseObjectReader} from './loose-read.js'
import {isObjectId, objectFormatNamed, type ObjectFormat} from './object-format.js'
import {GitKilledError, RefUpdater} from './ref-updater.js'
import {moveLooseRef, probeLooseRefs, type LooseRefSetup} from './loose-ref.js'
import {removeDeadRefLock} from './ref-lock-owner.js'
import {packedRefTarget} from './packed-refs.js'
import {racilyCleanEntries} from './racy-index.js'
import {RERUNS_IF_KILLED, runGit, type GitResult, type GitRunOptions} from './exec.js'
import {signPayload, withSignatureHeader, type CommitSigner} from './signing.js'
import {TreeCache, type TreeLayout, type TreeRecord} from './tree-cache.js'
import {Housekeeping} from './housekeeping.js'
import {LooseObjectWriter, objectId, parseCommitHeader, parseTree, serializeCommit, type TreeEntry} from './objects.js'

const TREE_CACHE_LIMIT = 20_000

export interface RepoPaths {
  /** the working tree's top level */
  root: string
  /** this worktree's git dir (HEAD, index) */
  gitDir: string
  /** the git dir shared by all worktrees (objects, refs) */
  commonDir: string
}

/**
 * A git repository seen through plumbing: objects are read by one long-lived
 * cat-file process and written as loose objects; refs move only by compare-and-swap.
 */
export class Repo {
  readonly cat: CatFileBatch
  readonly objects: LooseObjectWriter
  private identity?: string

  private constructor(
    readonly paths: RepoPaths,
    /** the repository's object format, detected when it opens: every id is hashed, parsed and checked with it */
    readonly format: ObjectFormat,
  ) {
    this.cat = new CatFileBatch(paths.root, new LooseObjectReader(join(paths.commonDir, 'objects'), format))
    this.objects = new LooseObjectWriter(join(paths.commonDir, 'objects'), format)
    this.refs = new RefUpdater(paths.root, format)
    this.housekeeping = new Housekeeping(paths.root)
  }
  private readonly refs: RefUpdater
  private readonly housekeeping: Housekeeping

  static async open(dir: string): Promise<Repo> {
    const result = await runGit(
      ['rev-parse', '--path-format=absolute', '--show-toplevel', '--git-dir', '--git-common-dir', '--show-object-format'],
      {
        cwd: dir,
        allowFailure: true,
      },
    )
    if (result.exitCode !== 0) {
      const place = await probeRepository(dir)
      if (place.kind === 'bare' || place.kind === 'git-dir') throw notACheckout(dir, place)
      throw new InputError(`${dir} is not inside a git repository`, {fix: 'run `rigor init` here, or pass --cwd with a rigor workspace'})
    }
    const lines = result.stdout.split('\n')
    // one path a line: a line break in a path (the checkout's or its git directory's) would shift every value
    if (lines.length !== 4)
      throw new InputError(`the path of the repository at ${quoted(dir)} holds a line break: git's answers about it cannot be read`, {
        fix: 'move or clone the repository to a path without a line break',
      })
    const [root, gitDir, commonDir, format] = lines
    return new Repo({root: root!, gitDir: gitDir!, commonDir: commonDir!}, objectFormatNamed(format ?? 'sha1'))
  }

  git(args: readonly string[], opts: Partial<GitRunOptions> = {}): Promise<GitResult> {
    return runGit(args, {cwd: this.paths.root, ...opts})
  }

  /** The commit a ref points at, or undefined when the ref does not exist yet. */
  async readRef(ref: string): Promise<string | undefined> {
    // a loose ref is one small file, read directly (four thread-pool round trips otherwise, before every commit), a
    // packed one a line of packed-refs; git is asked only of what neither says plainly (a symbolic ref, a tag, reftable)
    let loose: string | undefined
    try {
      // HEAD and refs/worktree/, refs/bisect/, refs/rewritten/ are each checkout's own: a linked worktree's are in its
      // git directory, and the shared directory's HEAD is the main checkout's
      loose = readFileSync(join(perWorktreeRef(ref) ? this.paths.gitDir : this.paths.commonDir, ref), 'utf8').trim()
    } catch {}
    if (loose !== undefined && isObjectId(loose, this.format)) return loose
    if (loose === undefined) {
      try {
        const packed = packedRefTarget(readFileSync(join(this.paths.commonDir, 'packed-refs'), 'utf8'), ref, this.format)
        if (packed) return packed
      } catch {}
    }
    const result = await this.git(['rev-parse', '--verify', '-q', `${ref}^{commit}`], {allowFailure: true})
    return result.exitCode === 0 ? result.stdout.trim() : undefined
  }

  private looseRefSetup?: Promise<LooseRefSetup | undefined>

  /** Moves `ref` from `expected` to `next` atomically, or throws RefConflictError when it moved first. */
  async compareAndSwapRef(ref: string, next: string, expected: string | undefined): Promise<void> {
    // a loose ref is moved here as git would (loose-ref.ts); git moves the others, and creates refs
    if (expected !== undefined) {
      const setup = await (this.looseRefSetup ??= probeLooseRefs(this.paths, (args) => this.git(args, {allowFailure: true})))
      if (setup && moveLooseRef(this.paths, this.format, setup, {ref, next, expected, message: 'rigor'}) === 'moved') return
    }
    for (let run = 0; ; run++) {
      try {
        return await this.refs.update(ref, next, expected)
      } catch (err) {
        if (!(err instanceof GitKilledError) || run >= RERUNS_IF_KILLED) throw err
        // killed halfway: the ref itself says whether the update landed
        const now = await this.readRef(ref)
        if (now === next) return
        if (now !== expected) throw new RefConflictError(ref)
      }
    }
  }

  /** Removes a ref lock a killed rigor process of this machine left behind (ref-lock-owner.ts); true when it is gone. */
  removeDeadRefLock(lockFile: string): Promise<boolean> {
    return removeDeadRefLock(this.paths.commonDir, lockFile)
  }

  /** Trees are immutable, so parsed ones are kept (bounded) and trees this process wrote are known without a read. */
  private readonly trees = new TreeCache()

  /** `entries` must be in git's tree order (compareTreeEntries), as a parsed tree is; `body` the tree's bytes, when known. */
  rememberTree(oid: string, entries: TreeEntry[], body?: Buffer, layout?: TreeLayout): void {
    this.trees.set(oid, {entries, body, layout})
  }

  async readTreeEntries(treeOid: string): Promise<TreeEntry[]> {
    return (await this.readTree(treeOid)).entries
  }

  /** A tree's entries and bytes (see TreeCache). */
  async readTree(treeOid: string): Promise<TreeRecord> {
    const cached = this.trees.get(treeOid)
    if (cached) return cached
    const obj = await this.cat.read(treeOid)
    if (obj?.type !== 'tree') throw new MissingObjectError(`tree ${treeOid}`)
    const record = {entries: parseTree(obj.body, this.format), body: obj.body}
    this.trees.set(treeOid, record)
    return record
  }

  /** Many trees' entries with one pipelined read of those not known yet, in the order asked. */
  async readTreesEntries(treeOids: string[]): Promise<TreeEntry[][]> {
    const unknown = treeOids.filter((oid) => !this.trees.get(oid))
    const read = new Map<string, TreeEntry[]>()
    const objects = await this.cat.readMany(unknown)
    unknown.forEach((oid, i) => {
      const obj = objects[i]
      if (obj?.type !== 'tree') throw new MissingObjectError(`tree ${oid}`)
      const entries = parseTree(obj.body, this.format)
      read.set(oid, entries)
      this.trees.set(oid, {entries, body: obj.body})
    })
    // a cache bounded below the number asked may have dropped some already: what was read is answered from `read`
    return treeOids.map((oid) => read.get(oid) ?? this.trees.get(oid)!.entries)
  }

  /** the trees of commits this process wrote: a snapshot of its own last commit needs no object read */
  private readonly ownCommitTrees = new Map<string, string>()

  async commitTree(commitOid: string): Promise<string> {
    const own = this.ownCommitTrees.get(commitOid)
    if (own) return own
    const obj = await this.cat.read(commitOid)
    if (obj?.type !== 'commit') throw new MissingObjectError(`commit ${commitOid}`)
    return parseCommitHeader(obj.body).tree
  }

  /** The blob at `path` in `treeish` (a commit or tree id), or undefined. */
  async readFileAt(treeish: string, path: string): Promise<Buffer | undefined> {
    const obj = await this.cat.read(`${treeish}:${path}`)
    return obj && obj.type === 'blob' ? obj.body : undefined
  }

  /** Writes a commit (SSH-signed when a signer is given); it is on disk, as every object written before it, when its id returns. */
  async writeCommit(tree: string, parents: string[], message: string, signer?: CommitSigner): Promise<string> {
    const ident = await this.authorIdentity()
    const now = Math.floor(Date.now() / 1000)
    const person = `${ident} ${now} +0000`
    let body = serializeCommit({tree, parents, author: person, committer: person, message})
    // git names the signature header after the repository's hash (gpgsig-sha256 in a SHA-256 repository)
    if (signer)
      body = withSignatureHeader(body, await signPayload(body, signer), this.format.name === 'sha256' ? 'gpgsig-sha256' : 'gpgsig')
    const oid = this.objects.write('commit', body)
    this.housekeeping.maybeStart(this.objects.count)
    if (this.ownCommitTrees.size >= TREE_CACHE_LIMIT) this.ownCommitTrees.delete(this.ownCommitTrees.keys().next().value!)
    this.ownCommitTrees.set(oid, tree)
    return oid
  }

  /** "Name <email>" from git's own rules (env, config), or rigor's when none is set. */
  async authorIdentity(): Promise<string> {
    if (this.identity) return this.identity
    const result = await this.git(['var', 'GIT_AUTHOR_IDENT'], {allowFailure: true})
    const match = result.exitCode === 0 ? /^(.*<[^>]*>)/.exec(result.stdout.trim()) : null
    this.identity = match ? match[1]! : 'rigor <rigor@localhost>'
    return this.identity
  }

  /** The commits of `tip`'s history that changed `path`, newest first (oldest first with `reverse`). */
  async commitsTouching(tip: string, path: string, opts: {reverse?: boolean; limit?: number} = {}): Promise<string[]> {
    const limit = opts.limit ? [`--max-count=${opts.limit}`] : []
    const log = await this.git(['log', ...(opts.reverse ? ['--reverse'] : []), ...limit, '--format=%H', tip, '--', path])
    return log.stdout.split('\n').filter(Boolean)
  }

  /** The commits of `tip`'s history whose message has a line matching `grep` (a regex): hash, committer time and message, newest first. */
  async commitMessages(tip: string, grep: string): Promise<Array<{commit: string; time: string; message: string}>> {
    const result = await this.git(['log', '--format=%H%x1f%cI%x1f%B%x1e', `--grep=${grep}`, tip])
    return result.stdout
      .split('\x1e')
      .map((raw) => raw.replace(/^\n/, ''))
      .filter((record) => record.trim())
      .map((record) => {
        const [commit, time, message] = record.split('\x1f')
        return {commit: commit!, time: time!, message: message ?? ''}
      })
  }

  /**
   * The commits whose parents a shallow clone (git clone --depth, actions/checkout's default) does not hold: its
   * history is cut there, and each shows as adding every file it has. Empty in a whole clone.
   */
  async shallowBoundary(): Promise<Set<string>> {
    try {
      return new Set((await readFile(join(this.paths.commonDir, 'shallow'), 'utf8')).split('\n').filter(Boolean))
    } catch {
      return new Set()
    }
  }

  /** Whether `ancestor` is in `descendant`'s history (a commit is its own ancestor). */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    if (ancestor === descendant) return true
    return (await this.git(['merge-base', '--is-ancestor', ancestor, descendant], {allowFailure: true})).exitCode === 0
  }

  /** A git config value as git resolves it (env, repository, global), or undefined. */
  async configValue(key: string): Promise<string | undefined> {
    const result = await this.git(['config', '--get', key], {allowFailure: true})
    return result.exitCode === 0 && result.stdout.trim() ? result.stdout.trim() : undefined
  }

  /** Files under `dirs` of this working tree that were added or changed since `base`, and untracked ones. */
  async workingTreeChanges(base: string, dirs: readonly string[], opts: {untracked: boolean} = {untracked: true}): Promise<string[]> {
    // the changed entries, or none when git could not say (no such base)
    const changedEntries = async () => {
      const changed = await this.git(['diff-index', '--raw', '--diff-filter=AM', '-z', base, '--', ...dirs], {allowFailure: true})
      return changed.exitCode === 0 ? rawDiffEntries(changed.stdout, this.format.emptyOid) : []
    }
    await this.refreshRacilyCleanIndex()
    let [entries, untracked] = await Promise.all([
      changedEntries(),
      opts.untracked ? this.git(['ls-files', '--others', '--exclude-standard', '-z', '--', ...dirs], {allowFailure: true}) : undefined,
    ])
    // A copied, moved or restored checkout leaves every index entry stat-dirty, and each `status` would read and hash
    // every state file (1.1 s at 10,000 nodes, for good). Past a few, the index's stat data is refreshed as `git status`
    // does, and only when the lock is free (git's update-index does not wait for it; GIT_OPTIONAL_LOCKS=0 says not
    // to take it at all): rigor's own syncs wait out the moment it is held.
    if (entries.filter((e) => e.unread).length >= REFRESH_INDEX_AT && mayTakeOptionalLocks() && (await this.refreshIndex()))
      entries = await changedEntries()
    const edited = await this.contentChanges(entries)
    const added = untracked?.exitCode === 0 ? untracked.stdout.split('\0') : []
    return [...new Set([...edited, ...added].filter((p) => p.length > 0))]
  }

  /**
   * Refreshes the index when many of its entries are racily clean (see
   * indexEntryMtimes) and a second has passed since git wrote it: written again
   * now, in a later second, those entries are clean for good. Left alone while
   * the second has not passed (the index written now would be as racy).
   */
  private async refreshRacilyCleanIndex(): Promise<void> {
    if (!mayTakeOptionalLocks()) return
    const file = join(this.paths.gitDir, 'index')
    const [bytes, info] = await Promise.all([readFile(file).catch(() => undefined), stat(file).catch(() => undefined)])
    if (!bytes || !info) return
    const writtenAt = Math.floor(info.mtimeMs / 1000)
    if (Math.floor(Date.now() / 1000) <= writtenAt) return
    if (racilyCleanEntries(bytes, writtenAt, this.format) >= REFRESH_INDEX_AT) await this.refreshIndex()
  }

  /** git's own refresh of the index's stat data (what `git status` does); false when git could not write it (its lock held). */
  private async refreshIndex(): Promise<boolean> {
    return (await this.git(['update-index', '-q', '--ignore-submodules', '--refresh'], {allowFailure: true})).exitCode === 0
  }

  /**
   * The paths of `git diff-index --raw -z` entries whose files really differ. git
   * lists a file whose index entry is stat-dirty (a copied, moved or restored
   * checkout, a touched file) as changed without reading it; rigor compares
   * such a file's bytes with the base's blob (the few left when the index could
   * not be refreshed, see workingTreeChanges).
   */
  private async contentChanges(entries: ReturnType<typeof rawDiffEntries>): Promise<string[]> {
    const checks = entries.map(async (e) => ({entry: e, same: e.unread ? await this.sameBytes(e.path, e.baseOid) : false}))
    const checked = await Promise.all(checks)
    // a file whose bytes differ may still be the blob once git converts it (core.autocrlf, a text or filter attribute)
    const converted = checked.filter((c) => c.same === 'converted?').map((c) => c.entry.path)
    const cleaned = converted.length > 0 ? await this.cleanBlobIds(converted) : new Map<string, string>()
    return checked.filter((c) => c.same !== true && cleaned.get(c.entry.path) !== c.entry.baseOid).map((c) => c.entry.path)
  }

  /** true when the file holds the blob's bytes; 'converted?' when it is a file with other bytes; false when it is none. */
  private async sameBytes(path: string, oid: string): Promise<boolean | 'converted?'> {
    const file = join(this.paths.root, path)
    const info = await lstat(file).catch(() => undefined)
    if (!info?.isFile()) return false
    const bytes = await readFile(file).catch(() => undefined)
    if (bytes === undefined) return false
    return objectId('blob', bytes, this.format) === oid || 'converted?'
  }

  /**
   * The blob ids git would store for these files of the working tree (paths from its top), its line-ending conversion
   * and clean filters applied as `git add` would: a checkout with core.autocrlf holds CRLF where the blob has LF. One
   * git for all; a path git cannot read from a line (a line break, a leading quote) is left out, as is every path when
   * git fails.
   */
  async cleanBlobIds(paths: readonly string[]): Promise<Map<string, string>> {
    const asked = paths.filter((p) => !p.includes('\n') && !p.startsWith('"'))
    if (asked.length === 0) return new Map()
    const result = await this.git(['hash-object', '--stdin-paths'], {input: `${asked.join('\n')}\n`, allowFailure: true})
    const ids = result.exitCode === 0 ? result.stdout.split('\n') : []
    return new Map(ids.length === asked.length ? asked.map((p, i) => [p, ids[i]!]) : [])
  }

  /** Whether a remote of this name is configured. */
  async hasRemote(name: string): Promise<boolean> {
    return (await this.git(['remote', 'get-url', name], {allowFailure: true})).exitCode === 0
  }

  /** The branch HEAD points at in this worktree (e.g. refs/heads/main), or undefined when detached. */
  async headRef(): Promise<string | undefined> {
    // HEAD is one small file in this worktree's git dir ("ref: refs/heads/main", or an id when detached);
    // git is asked only when it holds something else
    const head = await readFile(join(this.paths.gitDir, 'HEAD'), 'utf8').catch(() => undefined)
    const symbolic = head === undefined ? undefined : /^ref: (refs\/\S+)\n?$/.exec(head)
    if (symbolic) return symbolic[1]
    if (head !== undefined && isObjectId(head.trim(), this.format)) return undefined
    const result = await this.git(['symbolic-ref', '-q', 'HEAD'], {allowFailure: true})
    return result.exitCode === 0 ? result.stdout.trim() : undefined
  }

  /** Ends the long-lived git processes and waits until they have exited: none outlives the command. */
  async close(): Promise<void> {
    await Promise.all([this.cat.close(), this.refs.close(), this.housekeeping.finish(this.objects.count)])
  }
}

export type RepositoryPlace = {kind: 'none'} | {kind: 'checkout'} | {kind: 'bare' | 'git-dir'; gitDir: string}

/** Whether `dir` is in a checkout, a bare repository, inside a .git directory, or in no repository at all. */
export async function probeRepository(dir: string): Promise<RepositoryPlace> {
  const result = await runGit(['rev-parse', '--is-bare-repository', '--is-inside-git-dir', '--absolute-git-dir'], {
    cwd: dir,
    allowFailure: true,
  })
  if (result.exitCode !== 0) {
    const untrusted = untrustedRepository(dir, result.stderr)
    if (untrusted) throw untrusted
    return {kind: 'none'}
  }
  const [bare, insideGitDir, gitDir] = result.stdout.split('\n')
  if (bare === 'true') return {kind: 'bare', gitDir: gitDir!}
  if (insideGitDir === 'true') return {kind: 'git-dir', gitDir: gitDir!}
  return {kind: 'checkout'}
}

/**
 * git refuses a repository that another user owns (its safe.directory check) as if there were none: said as it is,
 * with git's own way to trust it, never as "not a repository" (whose fix, `rigor init`, would start another one).
 */
function untrustedRepository(dir: string, stderr: string): InputError | undefined {
  if (!/safe\.directory/.test(stderr)) return undefined
  // "detected dubious ownership in repository at '<path>'": the path git names (the repository's top, not `dir`)
  const at = /'([^'\n]+)'/.exec(stderr)?.[1] ?? dir
  return new InputError(`git refuses the repository at ${quoted(at)}: another user owns it (git's safe.directory check)`, {
    fix: `run rigor as the user who owns it, or, if you trust it, tell git so: git config --global --add safe.directory ${listedName(at)}`,
  })
}

/** A bare repository (or a .git directory) has no working tree for rigor's files: refused, with the way out. */
export function notACheckout(dir: string, place: {kind: 'bare' | 'git-dir'; gitDir: string}): InputError {
  if (place.kind === 'git-dir')
    return new InputError(`${dir} is inside the git directory ${place.gitDir}`, {fix: 'run rigor in the working tree, outside .git'})
  const where =
    resolve(dir) === resolve(place.gitDir) ? `${dir} is a bare git repository` : `${dir} is in the bare git repository ${place.gitDir}`
  return new InputError(`${where}: it has no working tree for rigor's files`, {
    fix: `clone it first (git clone ${place.gitDir} <dir>), then run rigor in the clone`,
  })
}

/**
 * How many stat-dirty entries make `workingTreeChanges` refresh the index rather than hash their files itself, and
 * how many racily clean ones make it refresh an index git would otherwise hash them from at every look.
 */
const REFRESH_INDEX_AT = 64

/** git's own optional locks (the index refreshed by a command that only looks) are off under GIT_OPTIONAL_LOCKS=0. */
const mayTakeOptionalLocks = () => process.env.GIT_OPTIONAL_LOCKS !== '0'

/**
 * The entries of `git diff-index --raw -z` output: `unread` when git did not read the file (its id all zeros) while the
 * base has it, a stat-dirty entry whose file may still hold the base's bytes; any other entry is a real difference.
 */
function rawDiffEntries(raw: string, emptyOid: string): Array<{path: string; baseOid: string; unread: boolean}> {
  const fields = raw.split('\0')
  const entries: Array<{path: string; baseOid: string; unread: boolean}> = []
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [, , baseOid = '', worktreeOid] = fields[i]!.split(' ')
    entries.push({path: fields[i + 1]!, baseOid, unread: worktreeOid === emptyOid && baseOid !== '' && baseOid !== emptyOid})
  }
  return entries
}

/** Refs git keeps per checkout (git-worktree(1), "Refs"): pseudo-refs such as HEAD, and three hierarchies. */
const perWorktreeRef = (ref: string): boolean => !ref.startsWith('refs/') || /^refs\/(worktree|bisect|rewritten)\//.test(ref)
