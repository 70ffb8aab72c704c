import {readFile, rm, writeFile} from 'node:fs/promises'
import {hostTempDir} from '../temp-dir.js'
import {join} from 'node:path'
import {runText} from './spawn-text.js'
import type {Repo} from './repo.js'
import {CheckFailedError, InputError} from '../errors.js'

/** An SSH key that signs commits the way `git commit -S` does with gpg.format=ssh. */
export interface CommitSigner {
  /** path of the private key (or of a public key whose private half is in ssh-agent) */
  keyPath: string
}

/** Someone allowed to sign: a name and an SSH public key ("ssh-ed25519 AAAA... comment"). */
export interface AllowedSigner {
  name: string
  key: string
}

export type SignatureStatus = 'good' | 'unknown_key' | 'unsigned' | 'bad'

export interface CommitSignature {
  commit: string
  status: SignatureStatus
  /** the allowed signer's name, for a good signature */
  signer?: string
  /** the key's fingerprint, when there is a signature */
  fingerprint?: string
}

/**
 * Signs a commit's payload (the commit object without its signature header) with
 * `ssh-keygen -Y sign -n git`, git's own SSH signing: `git verify-commit` checks it.
 */
export async function signPayload(payload: Buffer, signer: CommitSigner): Promise<string> {
  const result = await runText('ssh-keygen', ['-Y', 'sign', '-n', 'git', '-f', signer.keyPath], {input: payload})
  if (result.exitCode !== 0 || !String(result.stdout).includes('BEGIN SSH SIGNATURE')) {
    throw new CheckFailedError(
      `ssh-keygen could not sign with ${signer.keyPath}: ${String(result.stderr).trim() || `exit ${result.exitCode}`}`,
      {fix: 'give an SSH private key without a passphrase, or load it into ssh-agent and pass its .pub'},
    )
  }
  return String(result.stdout).trim()
}

/** The commit object with the signature as git writes it: a header after committer, continuation lines indented by one space. */
export function withSignatureHeader(commit: Buffer, signature: string, header: 'gpgsig' | 'gpgsig-sha256'): Buffer {
  const text = commit.toString('utf8')
  const end = text.indexOf('\n\n')
  const lines = signature.split('\n')
  const field = `${header} ${lines[0]}\n${lines
    .slice(1)
    .map((l) => ` ${l}\n`)
    .join('')}`
  return Buffer.from(`${text.slice(0, end + 1)}${field}${text.slice(end + 1)}`)
}

/** The public key of a private key file, as "type base64" (for comparing with the allowed list). */
export async function publicKeyOf(keyPath: string): Promise<string> {
  const result = await runText('ssh-keygen', ['-y', '-f', keyPath], {input: ''})
  if (result.exitCode !== 0) {
    // a public key file (its private half in ssh-agent) is its own public key
    const text = await readFile(keyPath, 'utf8').catch(() => '')
    if (/^(ssh-|ecdsa-|sk-)/.test(text.trim())) return normaliseKey(text)
    throw new InputError(`${keyPath} is not an SSH private key ssh-keygen can read (${String(result.stderr).trim()})`, {
      field: '--signing-key',
      fix: 'give the path of an SSH private key, e.g. ~/.ssh/id_ed25519',
    })
  }
  return normaliseKey(String(result.stdout))
}

/** "type base64" without the comment: two spellings of one key compare equal. */
export function normaliseKey(key: string): string {
  return key.trim().split(/\s+/).slice(0, 2).join(' ')
}

/**
 * The signature status of each commit, checked by git itself (`git log` with
 * %G? and gpg.ssh.allowedSignersFile): `good` names the allowed signer whose key
 * signed it; `unknown_key` is a valid signature by a key not on the list; `bad`
 * a signature that does not match the commit.
 */
export async function verifyCommitSignatures(
  repo: Repo,
  commits: string[],
  allowed: AllowedSigner[],
): Promise<Map<string, CommitSignature>> {
  const out = new Map<string, CommitSignature>()
  if (commits.length === 0) return out
  const dir = await hostTempDir('rigor-signers-')
  try {
    const file = join(dir, 'allowed_signers')
    await writeFile(file, allowed.map((a) => `${a.name} namespaces="git" ${normaliseKey(a.key)}\n`).join(''))
    const result = await repo.git(
      [
        '-c',
        'gpg.format=ssh',
        '-c',
        `gpg.ssh.allowedSignersFile=${file}`,
        'log',
        '--no-walk=unsorted',
        '--format=%H%x1f%G?%x1f%GS%x1f%GF%x1e',
        '--stdin',
      ],
      {
        input: `${[...new Set(commits)].join('\n')}\n`,
      },
    )
    for (const record of result.stdout.split('\x1e')) {
      const [commit, code, signer, fingerprint] = record.trim().split('\x1f')
      if (!commit) continue
      const status: SignatureStatus =
        code === 'G' ? 'good' : code === 'N' ? 'unsigned' : code === 'U' || code === 'E' ? 'unknown_key' : 'bad'
      out.set(commit, {commit, status, signer: status === 'good' ? signer || undefined : undefined, fingerprint: fingerprint || undefined})
    }
    return out
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}
