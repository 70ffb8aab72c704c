import {CheckFailedError, InputError} from '../errors.js'
import {parseConfig} from './config.js'
import type {Repo} from '../git/repo.js'
import {normaliseKey, verifyCommitSignatures, type AllowedSigner, type CommitSignature} from '../git/signing.js'
import {allChangesOf, fileChanges, pathsEverUnder} from './file-changes.js'
import {CONFIG_FILE} from './layout.js'

export interface TrustLink {
  commit: string
  /** first: the first list, trusted on first use; signed: a change signed by an auditor of the list before it; ignored: an unsigned or wrongly signed change, which does not count */
  change: 'first' | 'signed' | 'ignored'
  names: string[]
  signer?: string
  why?: string
}

export interface AuditorTrust {
  /** the auditors in force at the tip: the list as of the last change that counted */
  auditors: AllowedSigner[]
  /** every change of `auditors:` in rigor.yaml's history, oldest first; chain[0] is where trust starts */
  chain: TrustLink[]
  /** with a list in force: the guarded sections of rigor.yaml whose value at the tip no listed auditor signed */
  unsigned_sections: UnsignedSection[]
}

const sameList = (a: AllowedSigner[], b: AllowedSigner[]): boolean =>
  a.length === b.length && a.every((x, i) => x.name === b[i]!.name && normaliseKey(x.key) === normaliseKey(b[i]!.key))

/**
 * The auditor list protects itself: a commit that changes `auditors:` in
 * rigor.yaml counts only if it is signed by an auditor already on the list in
 * force before it. The first list is trusted on first use (`rigor verify
 * --signatures` shows that commit as where the chain starts). Without this,
 * anyone who can commit could add their own key and sign their own PASS.
 */
export async function auditorTrust(repo: Repo, tip: string | undefined): Promise<AuditorTrust> {
  const trust = await trustChain(repo, tip)
  await refuseOtherRoot(repo, tip, trust)
  return trust
}

/**
 * The state branch is named by `branch:` in rigor.yaml, which any commit can change: a plain commit on the branch
 * checked out could point it at a branch with a history of its own, whose first `auditors:` list (trusted on first
 * use) is anyone's. So when the checked-out commit is not the state's tip and its own history has an auditor list,
 * the state's chain of trust must start where the checked-out one does (a checkout of the state branch's own
 * history, a feature branch or a detached worktree, shares that commit).
 */
async function refuseOtherRoot(repo: Repo, tip: string | undefined, trust: AuditorTrust): Promise<void> {
  const here = await checkedOutCommit(repo)
  if (!tip || !here || here === tip) return
  const own = (await trustChain(repo, here)).chain[0]
  if (!own || own.commit === trust.chain[0]?.commit) return
  const start = trust.chain[0]
  throw new CheckFailedError(
    `the state branch's auditors: list does not start where the checked-out commit's does: the checked-out history trusts ${describeRoot(own)}, the state branch (${tip.slice(0, 10)}) ${start ? `trusts ${describeRoot(start)}` : 'has no auditors: list'}. A branch: in rigor.yaml that moves the state to another history would let whoever wrote that history choose its auditors`,
    {
      fix: `if you trust the state branch's own auditors, check it out and run rigor there; otherwise put back branch: in ${CONFIG_FILE} (git log -p -- ${CONFIG_FILE} shows who changed it)`,
    },
  )
}

const describeRoot = (link: TrustLink): string => `the list of ${link.commit.slice(0, 10)} (${link.names.join(', ') || 'none'})`

/** The commit checked out in this worktree (HEAD), or undefined in a repository without one. */
async function checkedOutCommit(repo: Repo): Promise<string | undefined> {
  const head = await repo.headRef()
  if (head) return repo.readRef(head)
  const result = await repo.git(['rev-parse', '--verify', '-q', 'HEAD^{commit}'], {allowFailure: true})
  return result.exitCode === 0 ? result.stdout.trim() : undefined
}

async function trustChain(repo: Repo, tip: string | undefined): Promise<AuditorTrust> {
  const trust: AuditorTrust = {auditors: [], chain: [], unsigned_sections: []}
  if (!tip) return trust
  const changes = await fileChanges(repo, tip, CONFIG_FILE)
  // a shallow clone's oldest commit shows as the first list: trusted on first use, whoever committed it
  const cut = await repo.shallowBoundary()
  const cutAt = changes.find((commit) => cut.has(commit))
  if (cutAt)
    throw new InputError(
      `this clone is shallow: the history of ${CONFIG_FILE} is cut at ${cutAt.slice(0, 10)}, so which auditors: list is in force (a change counts only when a listed auditor signed it) cannot be checked`,
      {
        field: CONFIG_FILE,
        fix: 'fetch the whole history: git fetch --unshallow (on GitHub Actions: actions/checkout with fetch-depth: 0)',
      },
    )
  // the guarded sections as a signed change (or the first list's commit) left them, and the last version's
  let inForce: Guarded | undefined
  let last: Guarded | undefined
  const ignoredBy = new Map<GuardedSection, {commit: string; why: string}>()
  for (const commit of changes.reverse()) {
    const version = await versionAt(repo, commit)
    if (version === undefined) continue
    last = version.guarded
    const {list} = version
    const listChanged = !sameList(list, trust.auditors)
    const names = list.map((a) => a.name)
    if (trust.auditors.length === 0) {
      // no list in force (never set, or emptied by a signed change): this one is trusted on first use
      if (listChanged) trust.chain.push({commit, change: 'first', names, why: 'no list was in force before: trusted on first use'})
      trust.auditors = list
      inForce = version.guarded
      continue
    }
    const sections = GUARDED_SECTIONS.filter((section) => version.guarded[section] !== inForce?.[section])
    if (!listChanged && sections.length === 0) continue
    const signature = (await verifyCommitSignatures(repo, [commit], trust.auditors)).get(commit)
    if (signature?.status === 'good') {
      if (listChanged) trust.chain.push({commit, change: 'signed', names, signer: signature.signer})
      trust.auditors = list
      inForce = version.guarded
      continue
    }
    const why = describeSignature(signature, 'an auditor of the list in force before it')
    if (listChanged) trust.chain.push({commit, change: 'ignored', names, why})
    for (const section of sections) ignoredBy.set(section, {commit, why})
  }
  if (trust.auditors.length > 0 && last && inForce)
    for (const section of GUARDED_SECTIONS)
      if (last[section] !== inForce[section]) trust.unsigned_sections.push({section, ...ignoredBy.get(section)!})
  return trust
}

/**
 * The sections of rigor.yaml that decide what an audit requires and what the deploy gate lets through (the
 * auditor's thresholds and sign-offs, the sealed holdout, the deploy commands and live's paper minimums). With
 * `auditors:` in force, a change of one counts only when a listed auditor signs it, as a change of the list does:
 * otherwise anyone who can commit could loosen the audit (allow_unverified_returns, a sign-off in an auditor's name)
 * or remove the holdout the gate asks for.
 */
export const GUARDED_SECTIONS = ['audit', 'holdout', 'deploy'] as const
type GuardedSection = (typeof GUARDED_SECTIONS)[number]
type Guarded = Record<GuardedSection, string>

/** A guarded section whose value at the tip no listed auditor signed: the newest commit that changed it unsigned. */
export interface UnsignedSection {
  section: GuardedSection
  commit: string
  why: string
}

/** How to make unsigned changes of guarded sections count, or undo them. */
export function unsignedSectionsFix(unsigned: readonly UnsignedSection[]): string | undefined {
  if (unsigned.length === 0) return undefined
  const sections = unsigned.map((u) => `${u.section}:`).join(', ')
  return `have a listed auditor review ${sections} in ${CONFIG_FILE} and sign a commit of it (git commit -S), or put back what they last signed (git log -p -- ${CONFIG_FILE} shows the change)`
}

/** The auditor list and the guarded sections of rigor.yaml at `commit`; undefined for a version that does not parse. */
async function versionAt(repo: Repo, commit: string): Promise<{list: AllowedSigner[]; guarded: Guarded} | undefined> {
  const blob = await repo.readFileAt(commit, CONFIG_FILE)
  // a commit that removed the file changes no section: every command refuses until it is back
  if (!blob) return undefined
  try {
    const config = parseConfig(blob.toString('utf8'), CONFIG_FILE)
    const guarded = Object.fromEntries(GUARDED_SECTIONS.map((section) => [section, canonical(config[section])])) as Guarded
    return {list: config.auditors ?? [], guarded}
  } catch {
    // a version that does not parse changed nothing that counts
    return undefined
  }
}

/** JSON with keys in order: a section whose keys were only reordered is the same section. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`
  return JSON.stringify(value) ?? 'undefined'
}

export function describeSignature(signature: CommitSignature | undefined, who: string): string {
  switch (signature?.status) {
    case 'good':
      return `signed by ${signature.signer}`
    case 'unknown_key':
      return `signed with a key that is not ${who}${signature.fingerprint ? ` (${signature.fingerprint})` : ''}`
    case 'bad':
      return 'its signature does not match the commit'
    default:
      return `not signed by ${who}`
  }
}

export type FileSignatureStatus =
  | 'good'
  | 'unsigned'
  | 'unknown_key'
  | 'bad'
  | 'changed_after_signing'
  | 'wrong_signer'
  /** gone at the tip, removed by a commit a listed auditor signed */
  | 'removed'
  /** gone at the tip: signed once, then removed by a commit no listed auditor signed */
  | 'removed_after_signing'

export interface FileSignature {
  file: string
  status: FileSignatureStatus
  /** the commit that last changed the file */
  commit?: string
  signer?: string
  /** changed or removed after signing: the commit holding the newest signed version (what puts it back) */
  signed_in?: string
  detail: string
}

export interface SignatureRules {
  /** a good signature by someone else is `wrong_signer` */
  expectedSigner?: string
  /**
   * the file belongs to whoever first signed it (an audit, to its auditor): only a commit they sign changes or removes
   * it; one signed by another listed auditor counts as one nobody signed
   */
  owned?: boolean
}

/**
 * Who stands behind a file as it is at the tip: the commit that last changed it
 * must be signed by an allowed signer (and, when `expectedSigner` is given, by
 * that one); a good signature on an earlier commit followed by unsigned edits
 * is `changed_after_signing`. A checksum proves a file is intact, not who wrote it.
 */
export async function fileSignature(
  repo: Repo,
  tip: string,
  file: string,
  allowed: AllowedSigner[],
  rules: SignatureRules = {},
): Promise<FileSignature> {
  const commits = await fileChanges(repo, tip, file)
  if (commits.length === 0) return {file, status: 'unsigned', detail: 'not in the history of the state branch'}
  const signatures = await verifyCommitSignatures(repo, commits, allowed)
  const good = (c: string) => signatures.get(c)?.status === 'good'
  const owner = rules.owned ? signatures.get(commits.filter(good).at(-1) ?? '')?.signer : undefined
  const counts = (c: string) => good(c) && (owner === undefined || signatures.get(c)!.signer === owner)
  const last = signatures.get(commits[0]!)
  const lastGood = commits.find(counts)
  const base = {file, commit: commits[0]}
  const signer = lastGood && signatures.get(lastGood)!.signer
  const atTip = await repo.readFileAt(tip, file)
  if (!atTip) return removedSignature(base, last, signer, lastGood, owner)
  if (!lastGood) {
    const status: FileSignatureStatus = last?.status === 'unknown_key' ? 'unknown_key' : last?.status === 'bad' ? 'bad' : 'unsigned'
    return {...base, status, detail: describeSignature(last, 'a listed auditor')}
  }
  // the newest signed version decides: the tip must hold its bytes (a later unsigned commit that only put them back,
  // after a removal, changed nothing that counts; one that put back an older signed version did)
  const signed = await repo.readFileAt(lastGood, file)
  if (!signed?.equals(atTip))
    return {
      ...base,
      status: 'changed_after_signing',
      signer,
      signed_in: lastGood,
      detail:
        lastGood === commits[0]
          ? 'the file at the tip differs from what the signed commit wrote'
          : `signed by ${signer} in ${lastGood.slice(0, 10)}, then changed by commit ${commits[0]!.slice(0, 10)} (${describeChanger(last, owner)})`,
    }
  return bySigner({...base, commit: lastGood, status: 'good', signer, detail: `signed by ${signer}`}, rules.expectedSigner)
}

/** A good signature by someone other than the auditor the file names is `wrong_signer`. */
export function bySigner(signature: FileSignature, expectedSigner: string | undefined): FileSignature {
  if (signature.status !== 'good' || !expectedSigner || signature.signer === expectedSigner) return signature
  return {...signature, status: 'wrong_signer', detail: `signed by ${signature.signer}, but the file says it is by ${expectedSigner}`}
}

/** Why the commit that changed or removed a signed file does not count. */
function describeChanger(signature: CommitSignature | undefined, owner: string | undefined): string {
  if (owner && signature?.status === 'good')
    return `signed by ${signature.signer}, but only ${owner}, who signed the file, may change or remove it`
  return describeSignature(signature, owner ?? 'a listed auditor')
}

/** A file gone at the tip: who removed it, and whether a signed version was removed without a signature (its owner's). */
function removedSignature(
  base: {file: string; commit?: string},
  removal: CommitSignature | undefined,
  signer: string | undefined,
  signedIn: string | undefined,
  owner: string | undefined,
): FileSignature {
  // a retraction: the removal is signed by a listed auditor, and by the file's owner when it has one
  if (removal?.status === 'good' && (owner === undefined || removal.signer === owner))
    return {...base, status: 'removed', signer: removal.signer, detail: `removed by ${removal.signer}`}
  if (signer && signedIn)
    return {
      ...base,
      status: 'removed_after_signing',
      signer,
      signed_in: signedIn,
      detail: `signed by ${signer} in ${signedIn.slice(0, 10)}, then removed by commit ${base.commit!.slice(0, 10)} (${describeChanger(removal, owner)})`,
    }
  return {...base, status: 'unsigned', detail: 'removed; no version of it was signed'}
}

/**
 * Who stands behind each report of one node the branch ever had (`isReport`
 * picks them), present or gone: the deploy gate refuses the tampered ones (an
 * older PASS must not decide because the FAIL that replaced it was edited,
 * deleted or merged away) and counts a candidate by its signature here.
 */
export async function reportSignatures(
  repo: Repo,
  tip: string,
  dir: string,
  allowed: AllowedSigner[],
  isReport: (path: string) => boolean,
): Promise<Map<string, FileSignature>> {
  const signatures = new Map<string, FileSignature>()
  for (const path of (await pathsEverUnder(repo, tip, dir)).filter(isReport))
    signatures.set(path, await checkedFileSignature(repo, tip, path, allowed, {owned: true}))
  return signatures
}

/** Changed or removed after signing: what `audit.untampered` refuses. */
export const tampered = (signature: FileSignature): boolean =>
  signature.status === 'changed_after_signing' || signature.status === 'removed_after_signing'

/**
 * fileSignature, and what the state branch's own line cannot show: a signed
 * version of the file that is in the tip's history but not in the history of
 * the version that decides (a merge that kept one side, `-s ours`, or dropped
 * the file, took it away without changing anything on its own line).
 */
export async function checkedFileSignature(
  repo: Repo,
  tip: string,
  file: string,
  allowed: AllowedSigner[],
  rules: SignatureRules = {},
): Promise<FileSignature> {
  const signature = await fileSignature(repo, tip, file, allowed, rules)
  if (tampered(signature)) return signature
  const writers = await allChangesOf(repo, tip, file)
  const signatures = await verifyCommitSignatures(repo, writers, allowed)
  // an owned file's versions that count are its owner's (the signer of the version that decides)
  const owner = rules.owned ? signature.signer : undefined
  const signed = writers.filter((c) => signatures.get(c)?.status === 'good' && (!owner || signatures.get(c)!.signer === owner))
  // the version that decides: the signed one at the tip, or the signed removal; none when the file just is not there
  const deciding =
    signature.status === 'good' || signature.status === 'removed' || signature.status === 'wrong_signer' ? signature.commit : undefined
  for (const commit of signed) {
    if (commit === deciding || (deciding && (await repo.isAncestor(commit, deciding)))) continue
    const signer = signatures.get(commit)!.signer
    const present = (await repo.readFileAt(tip, file)) !== undefined
    return {
      file,
      commit,
      signer,
      status: present ? 'changed_after_signing' : 'removed_after_signing',
      signed_in: commit,
      detail: `signed by ${signer} in ${commit.slice(0, 10)}, which is in the branch's history, but a merge left that version out of the tip`,
    }
  }
  return signature
}
