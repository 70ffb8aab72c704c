import {stat} from 'node:fs/promises'
import {homedir} from 'node:os'
import {resolve} from 'node:path'
import {auditorTrust, unsignedSectionsFix} from './auditors.js'
import {CheckFailedError, InputError} from '../errors.js'
import {CONFIG_FILE} from './layout.js'
import type {Repo} from '../git/repo.js'
import {normaliseKey, publicKeyOf, type CommitSigner} from '../git/signing.js'

/**
 * The SSH key that signs this command's commit: `--signing-key`, else
 * $RIGOR_SIGNING_KEY, else git's `user.signingkey` when it names a key file
 * (gpg.format=ssh). undefined when none is given.
 */
export async function resolveSigner(repo: Repo, flag: string | undefined, cwd: string): Promise<CommitSigner | undefined> {
  const fromGit = async () => {
    if ((await repo.configValue('gpg.format')) !== 'ssh') return undefined
    const key = await repo.configValue('user.signingkey')
    return key && !key.startsWith('key::') ? key : undefined
  }
  const source = flag !== undefined ? '--signing-key' : process.env.RIGOR_SIGNING_KEY ? 'RIGOR_SIGNING_KEY' : 'user.signingkey'
  const raw = flag ?? (process.env.RIGOR_SIGNING_KEY || undefined) ?? (await fromGit())
  if (raw === undefined) return undefined
  const keyPath = resolve(cwd, raw.replace(/^~(?=\/)/, homedir()))
  const isFile = await stat(keyPath).then(
    (s) => s.isFile(),
    () => false,
  )
  if (!isFile)
    throw new InputError(`no key file at ${keyPath}`, {
      field: source,
      fix: 'give the path of your SSH private key (e.g. ~/.ssh/id_ed25519), or of its .pub with the key loaded in ssh-agent',
    })
  return {keyPath}
}

/**
 * Checks that `signer` is the key `auditors:` lists for `name`, before anything
 * is written: an audit signed with another key would not open the gate. With no
 * list in force, any name goes (and the gate warns that audits are unauthenticated).
 */
export async function assertListedAuditor(
  repo: Repo,
  tip: string | undefined,
  name: string,
  signer: CommitSigner | undefined,
): Promise<{listed: boolean}> {
  const trust = await auditorTrust(repo, tip)
  if (trust.auditors.length === 0) return {listed: false}
  // an audit judges by rigor.yaml's thresholds, sign-offs and holdout: not by ones nobody on the list signed
  const unsigned = trust.unsigned_sections
  if (unsigned.length > 0)
    throw new CheckFailedError(
      `${CONFIG_FILE}'s ${unsigned.map((u) => `${u.section}: was changed by ${u.commit.slice(0, 10)} (${u.why})`).join('; ')}: an audit would judge by a change no listed auditor signed`,
      {fix: unsignedSectionsFix(unsigned)},
    )
  const entry = trust.auditors.find((a) => a.name === name)
  const names = trust.auditors.map((a) => a.name).join(', ')
  if (!entry)
    throw new InputError(`auditor "${name}" is not in auditors: of rigor.yaml (${names})`, {
      field: '--auditor',
      fix: `audit as one of: ${names}; a new auditor is added by a commit signed by a listed one`,
    })
  if (!signer)
    throw new InputError(`auditors: is set, so an audit by ${name} must be signed with ${name}'s key`, {
      field: '--signing-key',
      fix: 'pass --signing-key PATH (or set RIGOR_SIGNING_KEY) with the private key whose public half is listed for you',
    })
  const key = await publicKeyOf(signer.keyPath).catch((err: Error) => {
    throw new InputError(err.message, {field: '--signing-key', fix: 'give an SSH private key file'})
  })
  if (key !== normaliseKey(entry.key)) {
    throw new InputError(`the key ${signer.keyPath} is not the one auditors: lists for ${name}`, {
      field: '--signing-key',
      fix: `sign with ${name}'s key, or audit under the name the key is listed for`,
    })
  }
  return {listed: true}
}
