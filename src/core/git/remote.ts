import {GitFailedError, InputError, RefConflictError, RemoteRewoundError, RemoteUnreachableError} from '../errors.js'
import {RERUNS_IF_KILLED, type GitResult} from './exec.js'
import type {Repo} from './repo.js'

/**
 * How long one fetch, push or ls-remote of the remote may take before rigor kills it (with its transport: ssh,
 * git-remote-https) and takes the remote for unreachable: a server that accepts the connection and never answers
 * held the fetch, and with it every claim and lease renewal, until the leases lapsed. Five minutes leaves a worker
 * (renewing each third of a 15-minute lease) the time to renew once the remote is back; `$RIGOR_REMOTE_TIMEOUT`
 * (seconds) changes it.
 */
const DEFAULT_TRANSFER_TIMEOUT_S = 300

/** The time limit of one transfer, from `$RIGOR_REMOTE_TIMEOUT` (seconds) or the default. */
export function transferTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.RIGOR_REMOTE_TIMEOUT
  if (text === undefined || text === '') return DEFAULT_TRANSFER_TIMEOUT_S * 1000
  if (!/^[1-9]\d{0,6}$/.test(text.trim()))
    throw new InputError(`RIGOR_REMOTE_TIMEOUT=${JSON.stringify(text)} is not a whole number of seconds`, {
      field: 'RIGOR_REMOTE_TIMEOUT',
      fix: `set RIGOR_REMOTE_TIMEOUT to the seconds a fetch or push of the remote may take (default ${DEFAULT_TRANSFER_TIMEOUT_S}), or unset it`,
    })
  return Number(text.trim()) * 1000
}

/**
 * Over HTTP(S), git (curl) gives up by itself on a transfer through which nothing came for a minute (an answering
 * server sends keep-alives while it packs or runs hooks). `GIT_HTTP_LOW_SPEED_LIMIT` and `GIT_HTTP_LOW_SPEED_TIME`
 * in the environment still override these, as git documents.
 */
const STALLED_HTTP: ReadonlyArray<[string, string]> = [
  ['http.lowSpeedLimit', '1'],
  ['http.lowSpeedTime', '60'],
]

/** What git says when the other end of its connection went away (killed, or the connection dropped). */
const TRANSPORT_DROPPED =
  /remote end hung up|could not read from remote repository|early EOF|died of signal|connection (reset|closed)|unexpected disconnect|bad pack header/i

/**
 * The reasons of a rejected push that mean another writer moved the branch (or holds its lock) first: the lease
 * or the fast-forward check failed, or the remote's ref transaction found the ref elsewhere than expected.
 */
const LOST_RACE = /stale info|fetch first|non-fast-forward|failed to update ref|failed to lock|cannot lock ref|incorrect old value/i

/**
 * What git says when it could not reach the remote at all: the other end went away, a repository by path that is
 * not there (moved, an unmounted file system), a host that does not resolve or answer. Over HTTPS, curl's words: a
 * port nobody listens on (`Failed to connect to ... Couldn't connect to server`), a proxy or host that is down or
 * shedding load (`The requested URL returned error: 502`, 503, 504, 429), a TLS connection cut short.
 */
const UNREACHABLE =
  /operation too slow|does not appear to be a git repository|could not resolve host|connection refused|connection timed out|operation timed out|network is unreachable|no route to host|failed to connect to|couldn't connect to server|returned error: (?:5\d\d|429)\b|empty reply from server|ssl_error_syscall|tls connection was non-properly terminated|was not closed cleanly/i

/** What git's stderr says when the remote's files may not be written: no retry changes that. */
const NOT_ALLOWED = /permission denied|read-only file system|insufficient permission/i

/** Whether git's stderr says the remote could not be reached (see UNREACHABLE, TRANSPORT_DROPPED), not that it refused. */
const unreachable = (stderr: string): boolean => (TRANSPORT_DROPPED.test(stderr) || UNREACHABLE.test(stderr)) && !NOT_ALLOWED.test(stderr)

/**
 * Whether git's stderr says the other end of a transfer went away: before it answered, or (`unexpected disconnect
 * while reading sideband packet`, `bad pack header`) in the middle of the pack, as when Slurm's scancel kills a
 * remote-by-path's upload-pack while it sends.
 */
export const transportDropped = (stderr: string): boolean => TRANSPORT_DROPPED.test(stderr)

/**
 * A git remote as the coordination point of many machines. The branch on the
 * remote is the state; a push of a commit whose parent is the tip we read is
 * a compare-and-swap (git refuses a non-fast-forward), so a rejected push is a
 * lost race: fetch, rebuild on the new tip, push again.
 */
export class RemoteLink {
  constructor(
    private readonly repo: Repo,
    readonly remote: string,
    readonly branch: string,
  ) {}

  /** where the last fetched state of the remote branch is kept */
  get trackingRef(): string {
    return `refs/remotes/${this.remote}/${this.branch}`
  }

  /**
   * Fetches the remote branch into the tracking ref. Only a fast-forward is taken: a remote branch that no longer
   * contains the state this clone last fetched was rewound by hand (a force-push, a reset), and building on it would
   * run again the nodes whose verdicts the rewind dropped; that is refused, every time until a person decides.
   */
  async fetch(): Promise<string | undefined> {
    let dropped = 0
    for (let attempt = 0; ; attempt++) {
      // not --quiet: git says a refused non-fast-forward update only in its ref lines
      const result = await this.transfer(['fetch', '--no-tags', this.remote, `refs/heads/${this.branch}:${this.trackingRef}`])
      if (result.timedOut) throw this.stalled('fetch', result)
      if (result.exitCode === 0) break
      if (/couldn't find remote ref/i.test(result.stderr)) {
        // never fetched: a remote without the branch yet. Fetched before: it was deleted or renamed since, and the
        // clone's last copy of it is not the state
        const seen = await this.repo.readRef(this.trackingRef)
        if (seen) throw this.gone(seen)
        break
      }
      if (/\[rejected\].*\(non-fast-forward\)/.test(result.stderr)) {
        // the tip this fetch read may be older than what another process of this clone (a push that landed, a later
        // fetch, another slot's) wrote to the tracking ref meanwhile: only a remote tip that does not contain it is a rewind
        const rewound = await this.rewound()
        if (rewound) throw rewound
        if (attempt < 20) continue
        throw new GitFailedError(
          `git fetch ${this.remote} kept reading a tip older than this clone's last copy of ${this.branch}: ${result.stderr.trim()}`,
          `try again; if it lasts, check what else updates ${this.trackingRef} in this clone`,
        )
      }
      // the remote's end died under the fetch: on a remote by path it is rigor's grandchild (upload-pack), which a
      // signal aimed at rigor's whole process tree kills too (Slurm's scancel, on the way to putting claims back); a
      // fetch changes nothing, so it is run again, a few times, as git killed outright is (runGit)
      if (transportDropped(result.stderr) && dropped++ < RERUNS_IF_KILLED) {
        await new Promise((r) => setTimeout(r, 50 * dropped))
        continue
      }
      // another process of this clone updated the tracking ref at the same moment: its fetch is as good as ours
      if (/cannot lock ref|unable to update local ref|shallow file has changed/i.test(result.stderr) && attempt < 20) {
        await new Promise((r) => setTimeout(r, 10 + Math.random() * 40))
        continue
      }
      throw new (unreachable(result.stderr) ? RemoteUnreachableError : GitFailedError)(
        `git fetch ${this.remote} failed: ${result.stderr.trim()}`,
        `check that the remote ${this.remote} is reachable and that you may read it (git fetch ${this.remote})`,
      )
    }
    return this.repo.readRef(this.trackingRef)
  }

  /** git talking to the remote: bounded in time (transferTimeoutMs, STALLED_HTTP), its failure the caller's to read. */
  private transfer(args: string[], opts: {rerunIfKilled?: boolean} = {}): Promise<GitResult> {
    return this.repo.git(args, {allowFailure: true, config: STALLED_HTTP, timeoutMs: transferTimeoutMs(), ...opts})
  }

  /** The error for a fetch or push that rigor killed after the time limit. */
  private stalled(what: 'fetch' | 'push', result: GitResult): RemoteUnreachableError {
    return new RemoteUnreachableError(
      `git ${what} ${this.remote} did not end in ${transferTimeoutMs() / 1000} s (the remote accepts the connection and does not answer): ${result.stderr.trim()}`,
      `check that the remote ${this.remote} answers (git ${what} ${this.remote}); RIGOR_REMOTE_TIMEOUT (seconds) sets how long rigor waits`,
    )
  }

  /**
   * The error for a remote branch that does not contain the state this clone last fetched from it; undefined when
   * its tip, read now, does contain it (a fetch that had read an older tip than the tracking ref holds by now).
   */
  private async rewound(): Promise<RemoteRewoundError | undefined> {
    const seen = await this.repo.readRef(this.trackingRef)
    const listed = await this.transfer(['ls-remote', this.remote, `refs/heads/${this.branch}`])
    const tip = /^([0-9a-f]+)\t/.exec(listed.stdout)?.[1]
    const readable = tip !== undefined && (tip === seen || (await this.fetchObjectsOf(tip)))
    if (readable && seen !== undefined && (await this.repo.isAncestor(seen, tip))) return undefined
    const now = tip ?? '<its tip>'
    const ref = `refs/heads/${this.branch}`
    return new RemoteRewoundError(
      `${this.remote}/${this.branch} was rewound: its tip ${now} does not contain ${seen}, the state this clone last fetched ` +
        `(a force-push or a reset of the remote branch). rigor does not build on it: the claims and verdicts it dropped would be lost, and their nodes run again`,
      `if the rewind was a mistake, put the state back with \`git push --force-with-lease=${ref}:${now} ${this.remote} ${seen}:${ref}\`; ` +
        `if it was meant, take it in this clone with \`git fetch ${this.remote} +${ref}:${this.trackingRef}\` (git log ${now}..${seen} lists what it drops)`,
      readable && tip !== undefined ? tip : undefined,
    )
  }

  /**
   * Fetches the commits of the remote branch without moving any ref (the tracking ref keeps the state this clone last
   * took), so that `tip` can be read; whether it now can.
   */
  private async fetchObjectsOf(tip: string): Promise<boolean> {
    // --refmap=: git would otherwise update the tracking ref by the remote's configured (forced) refspec, taking the rewind
    await this.transfer(['fetch', '--no-tags', '--no-write-fetch-head', '--refmap=', this.remote, `refs/heads/${this.branch}`])
    return (await this.repo.git(['cat-file', '-e', `${tip}^{commit}`], {allowFailure: true})).exitCode === 0
  }

  /** The error for a remote branch this clone fetched before and the remote no longer has. */
  private gone(seen: string): GitFailedError {
    const ref = `refs/heads/${this.branch}`
    return new GitFailedError(
      `${this.remote} has no branch ${this.branch}: it was deleted or renamed since this clone last fetched it (at ${seen}). ` +
        `rigor does not take this clone's old copy of it for the state`,
      `if that was a mistake, put it back with \`git push ${this.remote} ${seen}:${ref}\` (the state as this clone last saw it; ` +
        `a renamed branch: push that one's tip instead); if the state moved to another branch, check that one out or commit branch: <name> in rigor.yaml`,
    )
  }

  /**
   * Whether a push whose outcome git could not say landed `commit`: the remote's tip is it, or builds on it (another
   * clone may push on top before this one looks). Taken for a lost race, a landed claim would be decided again: a
   * second node claimed beside the first, which no slot runs and nothing puts back.
   */
  private async landed(commit: string): Promise<boolean> {
    const tip = await this.fetch()
    return tip !== undefined && (await this.repo.isAncestor(commit, tip))
  }

  /** Publishes `commit` if the remote branch is still at `expected`; RefConflictError when it moved. */
  async push(commit: string, expected: string | undefined): Promise<void> {
    const lease = `--force-with-lease=refs/heads/${this.branch}:${expected ?? ''}`
    for (let dropped = 0; ; dropped++) {
      const result = await this.transfer(['push', '--porcelain', '--quiet', lease, this.remote, `${commit}:refs/heads/${this.branch}`], {
        rerunIfKilled: false,
      })
      // killed by the time limit: the remote may hold the push or not; a remote that does not answer is unreachable
      if (result.timedOut) {
        if (await this.landed(commit)) return
        throw this.stalled('push', result)
      }
      // a push killed by a signal aimed at rigor's process tree may have landed or not: the remote says which.
      // On a remote by path the receiving end is rigor's grandchild: a job-wide signal (Slurm) kills it too
      if (result.signal || /died of signal/.test(result.stderr)) {
        if (await this.landed(commit)) return
        throw new RefConflictError(this.trackingRef)
      }
      if (result.exitCode === 0) {
        await this.repo.compareAndSwapRef(this.trackingRef, commit, expected).catch(() => {})
        return
      }
      // `--porcelain` gives the branch's outcome as `!\t<src>:<dst>\t[rejected] (<reason>)`, or `[remote rejected]`
      // when the remote refused it: only a branch that moved (or was being moved) is a lost race; a hook, a branch
      // protection or a remote rigor may not write refuses every retry, and is said at once
      const refused = /^!\t[^\t]*\t\[(?:remote )?rejected\] \((.*)\)$/m.exec(result.stdout)
      if (refused) {
        if (LOST_RACE.test(refused[1]!) && !NOT_ALLOWED.test(result.stderr)) throw new RefConflictError(this.trackingRef)
        throw new GitFailedError(
          `${this.remote} refused the push to ${this.branch} (${refused[1]}): ${result.stderr.trim()}`,
          `let this clone push to ${this.branch} on ${this.remote}: its permissions, a pre-receive hook or a branch protection refuse it (try git push ${this.remote} ${this.branch})`,
        )
      }
      const text = `${result.stdout}\n${result.stderr}`
      if (/rejected|stale info|non-fast-forward|fetch first|failed to update ref|cannot lock ref/i.test(text))
        throw new RefConflictError(this.trackingRef)
      // the receiving end went away (killed before it said so, or the connection dropped): landed if the remote
      // holds it, otherwise pushed again with the same lease, a few times; git says the same when it may not push
      // at all, so a lasting refusal still ends in the error below
      if (transportDropped(result.stderr) && dropped < RERUNS_IF_KILLED) {
        if (await this.landed(commit)) return
        await new Promise((r) => setTimeout(r, 50 * (dropped + 1)))
        continue
      }
      throw new (unreachable(result.stderr) ? RemoteUnreachableError : GitFailedError)(
        `git push ${this.remote} failed: ${result.stderr.trim() || result.stdout.trim()}`,
        `check that you may push to ${this.remote} (git push ${this.remote}), and that no branch protection refuses rigor's commits`,
      )
    }
  }
}
