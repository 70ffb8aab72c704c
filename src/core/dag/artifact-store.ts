/**
 * The artifact store: where outputs too large for git go (a model over
 * runner.limits.file_size). rigor keeps the content address in the verdict and
 * hands the bytes to the user's argv hook; it checks every byte it gets back.
 *
 *   <command...> put <sha256> <file>          store the file's bytes under sha256
 *   <command...> get <sha256> <destination>   write those bytes to destination
 */
import {createHash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {copyFile, lstat, rename, rm, stat} from 'node:fs/promises'
import {runConfiguredCommand} from '../configured-command.js'
import type {ArtifactStoreConfig} from '../schemas/index.js'

export type StoreOutcome = {ok: true; sha256: string; bytes: number} | {ok: false; problem: string}

export interface ArtifactStore {
  put(file: string): Promise<StoreOutcome>
  /** `signal`: a stop (Ctrl-C, SIGTERM, a cancel) stops the hook; nothing waits for bytes no run will read */
  get(sha256: string, destination: string, signal?: AbortSignal): Promise<StoreOutcome>
}

/** The sha256 of a file's bytes, streamed (store files are large by definition). */
export async function fileSha256(file: string): Promise<{sha256: string; bytes: number}> {
  const hash = createHash('sha256')
  let bytes = 0
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer)
    bytes += (chunk as Buffer).length
  }
  return {sha256: hash.digest('hex'), bytes}
}

/** The store rigor.yaml's `artifact_store:` describes, run with `cwd` as its working directory. */
export function artifactStore(config: ArtifactStoreConfig, cwd: string): ArtifactStore {
  const [program, ...args] = config.command
  const hook = async (verb: 'put' | 'get', sha256: string, path: string, signal?: AbortSignal): Promise<string | undefined> => {
    // what the store's command leaves running is stopped when it exits (configured-command.ts)
    const result = await runConfiguredCommand({
      argv: [program!, ...args, verb, sha256, path],
      cwd,
      timeoutMs: config.timeout,
      env: {RIGOR_ARTIFACT_SHA256: sha256, RIGOR_ARTIFACT_PATH: path},
      maxBytes: 64 * 1024,
      signal,
    })
    if (result.exitCode === 0 && !result.timedOut) return undefined
    const said = result.all.trim().split('\n').slice(-3).join(' | ')
    const how = result.canceled
      ? 'was stopped'
      : result.timedOut
        ? 'timed out'
        : result.spawnError
          ? 'could not start'
          : result.exitCode === null
            ? `was killed by ${result.signal}`
            : `exited ${result.exitCode}`
    return `artifact_store ${verb} ${how}${said ? `: ${said.slice(0, 300)}` : ''}`
  }
  return {
    async put(file) {
      const {sha256, bytes} = await fileSha256(file)
      const problem = await hook('put', sha256, file)
      return problem ? {ok: false, problem} : {ok: true, sha256, bytes}
    },
    async get(sha256, destination, signal) {
      const problem = await hook('get', sha256, destination, signal)
      if (problem) return {ok: false, problem}
      const linked = await ownCopy(destination)
      if (linked) return {ok: false, problem: linked}
      const present = await stat(destination).then(
        (s) => s.isFile(),
        () => false,
      )
      if (!present) return {ok: false, problem: `artifact_store get exited 0 but wrote no file at ${destination}`}
      const got = await fileSha256(destination)
      if (got.sha256 !== sha256) {
        await rm(destination, {force: true})
        return {ok: false, problem: `artifact_store get returned bytes whose sha256 is ${got.sha256}, not ${sha256}`}
      }
      return {ok: true, sha256, bytes: got.bytes}
    },
  }
}

/**
 * A store on a shared file system may answer get with a link to its own file
 * (symbolic or hard) rather than a copy: the run gets a copy of its own, so that
 * rigor's read-only mode lands on the run's file, never the store's, and a
 * sandboxed runner, which sees only the run's directory, can read it. Returns
 * the problem when the link's target cannot be copied.
 */
async function ownCopy(destination: string): Promise<string | undefined> {
  const st = await lstat(destination).catch(() => undefined)
  if (!st || !(st.isSymbolicLink() || (st.isFile() && st.nlink > 1))) return undefined
  const copy = `${destination}.rigor-copy`
  try {
    await copyFile(destination, copy)
    await rename(copy, destination)
    return undefined
  } catch (err) {
    await rm(copy, {force: true})
    return `artifact_store get linked ${destination} to a file rigor cannot copy: ${(err as Error).message}`
  }
}
