import {claimNextNodes, releaseHeld, type ClaimOptions, type ClaimResult, type HeldClaims} from './claims.js'
import {sameClaim, transition} from './lifecycle.js'
import type {NodeFile} from '../schemas/index.js'
import type {Workspace} from '../state/workspace.js'
import type {FileChange} from '../git/tree-edit.js'

/** the largest batch the contention-driven default grows to */
export const MAX_AUTO_PREFETCH = 8

/**
 * A worker's claims, taken a small batch at a time: through a shared remote
 * every claim is a fetch and a push, and workers of many clones lose most of
 * their pushes to each other, so one push that claims K nodes does the work of
 * K. Each node claimed ahead holds its own lease (renewed while it waits, if it
 * waits long) and is put back by `releaseUnstarted` when the worker stops
 * before starting it.
 *
 * `fixed` is the batch size the user asked for (--prefetch K). Without it the
 * size follows the contention measured on the way: a claim commit that lands
 * after c lost races cost 1 + c pushes, so claiming about 1 + 2c̄ nodes in it
 * (c̄ a running mean of c) brings the pushes per node back near one; with no
 * contention that is one node (fair to other workers, nothing held idle).
 *
 * Every node it claims goes into `holding` (the worker's claims, which its runs give up as they end); the ones it
 * puts back leave it once their release has landed.
 */
export class ClaimBuffer {
  private readonly held: NodeFile[] = []
  /** nodes claimed ahead and found taken back (a supervisor) before a slot started them, not yet told (takeLost) */
  private readonly lost: string[] = []
  private batch: number
  /** running mean of the lost races per landed claim commit */
  private contention = 0

  private readonly opts: ClaimOptions

  constructor(
    private readonly ws: Workspace,
    opts: ClaimOptions,
    private readonly holding: HeldClaims,
    private readonly fixed?: number,
  ) {
    this.batch = fixed ?? 1
    this.opts = {...opts, onDecided: (nodes) => holding.claiming(nodes)}
  }

  /** A claim commit, its nodes known to `holding` from the moment it is decided until it returns. */
  private async claim(count: number, growTo?: number): ReturnType<typeof claimNextNodes> {
    try {
      const result = await claimNextNodes(this.ws, this.opts, count, growTo)
      if (!('reason' in result)) this.holding.hold(result.claimed)
      return result
    } finally {
      this.holding.claiming([])
    }
  }

  /** How many nodes the next claim commit takes (for tests and progress). */
  get batchSize(): number {
    return this.batch
  }

  /**
   * The next node to run: one claimed ahead, or a new batch claimed now (at most `limit` nodes). One claimed ahead
   * comes `waited`: it may have been cancelled since its claim, which its run looks for before its runner starts.
   */
  async next(limit = Number.POSITIVE_INFINITY): Promise<ClaimResult & {waited?: true}> {
    while (this.held.length > 0) {
      const waiting = this.held.shift()!
      const node = await this.keepLease(waiting).catch((err: unknown) => {
        // not renewed (a remote away, which a follower waits out): still claimed ahead, the first to start, and renewed
        // while it waits, rather than held by nothing and left to its lease
        this.held.unshift(waiting)
        this.keepLeasesWhileWaiting()
        throw err
      })
      if (node) return {claimed: node, conflicts: 0, waited: true}
      this.lost.push(waiting.id)
    }
    const size = Math.max(1, Math.min(this.batch, limit))
    // the contention-driven batch also grows while this very claim keeps losing races
    const result = await this.claim(size, this.fixed === undefined ? Math.min(MAX_AUTO_PREFETCH, limit) : size)
    if (this.fixed === undefined) {
      this.contention = (this.contention + result.conflicts) / 2
      this.batch = Math.min(MAX_AUTO_PREFETCH, Math.max(1, Math.round(1 + 2 * this.contention)))
    }
    if ('reason' in result) return {claimed: undefined, reason: result.reason, detail: result.detail, conflicts: result.conflicts}
    const [first, ...rest] = result.claimed
    this.held.push(...rest)
    this.keepLeasesWhileWaiting()
    return {claimed: first!, conflicts: result.conflicts}
  }

  /** The nodes claimed ahead that were taken back before they started, since the last call: each a claim lost. */
  takeLost(): string[] {
    return this.lost.splice(0)
  }

  /** Nodes claimed ahead that no slot has taken yet. */
  get heldCount(): number {
    return this.held.length
  }

  /**
   * Claims one node ahead of need, for a slot whose runner is still running:
   * the caller owns it (starts it, or puts it back). Nothing when nodes of a
   * batch are held already or nothing is claimable now (the slot's own claim
   * later says why).
   */
  async claimAhead(): Promise<NodeFile | undefined> {
    if (this.held.length > 0) return undefined
    const result = await this.claim(1)
    if ('reason' in result) return undefined
    return result.claimed[0]
  }

  /**
   * Puts back every node claimed ahead and not started (the attempt not counted): the ids put back, and the ones
   * found no longer this worker's (a supervisor took them back meanwhile).
   */
  async releaseUnstarted(): Promise<{released: string[]; lost: string[]}> {
    this.stopRenewing()
    const unstarted = this.held.splice(0)
    if (unstarted.length === 0) return {released: [], lost: []}
    const ids = new Set(unstarted.map((n) => n.id))
    const released = await releaseHeld(this.ws, this.opts.worker, (node) => ids.has(node.id), 'claimed ahead and not started')
    // held until now: a worker that leaves at once while this lands names them
    for (const node of unstarted) this.holding.drop(node.id, node)
    return {released, lost: unstarted.map((n) => n.id).filter((id) => !released.includes(id))}
  }

  /** renews the leases of the nodes waiting in the batch while there are any (keepLeasesWhileWaiting) */
  private renewer?: NodeJS.Timeout

  /**
   * Renews the leases of the nodes claimed ahead every third of a lease while they wait: a slot busy with a run longer
   * than the lease would otherwise let them expire unstarted, and a supervisor would re-queue them, their attempt
   * counted (inconclusive after max_attempts, never run). One commit renews them all; a failed one (a remote away)
   * is the next tick's to repeat.
   */
  private keepLeasesWhileWaiting(): void {
    if (this.renewer || this.held.length === 0) return
    // a renewal still landing when this chain was stopped (and another started) schedules nothing more
    const chain = ++this.renewChain
    const next = () => {
      // the pace of the lease in force: a rigor.yaml committed meanwhile may have shortened it
      this.renewer = setTimeout(
        () => {
          if (this.held.length === 0) return this.stopRenewing()
          this.renewWaiting()
            .catch(() => {})
            .finally(() => chain === this.renewChain && next())
        },
        Math.max(1000, this.ws.config.lease.duration / 3),
      )
      // the worker's end is decided by its slots, never held up by this timer
      this.renewer.unref()
    }
    next()
  }

  private renewChain = 0

  private stopRenewing(): void {
    this.renewChain++
    clearTimeout(this.renewer)
    this.renewer = undefined
  }

  private async renewWaiting(): Promise<void> {
    const waiting = [...this.held]
    const leaseMs = this.ws.config.lease.duration
    const outcome = await this.ws.commit(async (snap) => {
      const files = new Map<string, FileChange>()
      const documents = new Map<string, NodeFile>()
      for (const node of waiting) {
        const current = snap.nodes.get(node.id)?.node
        // taken back or cancelled meanwhile: keepLease finds out when a slot takes it
        if (current?.status !== 'running' || !sameClaim(current, node, this.opts.worker)) continue
        const [path, text, renewed] = transition(current, {kind: 'renew', now: new Date(), leaseMs})
        files.set(path, text)
        documents.set(path, renewed)
      }
      const renewed = [...documents.values()]
      if (renewed.length === 0) return {result: renewed}
      const subject = renewed.length === 1 ? `renew lease on ${renewed[0]!.id}` : `renew leases on ${renewed.length} nodes claimed ahead`
      return {
        files,
        documents,
        message: {action: 'renew', subject, nodes: renewed.map((n) => n.id), worker: this.opts.worker},
        result: renewed,
      }
    })
    // the copies a slot takes carry the renewed lease, so keepLease does not renew them again at once
    for (const node of outcome.result) {
      const at = this.held.findIndex((held) => held.id === node.id && sameClaim(node, held, this.opts.worker))
      if (at >= 0) this.held[at] = node
    }
  }

  /**
   * The node as it stands when it is about to start: its lease renewed if half
   * of it has gone by while it waited, or undefined when it is no longer this
   * worker's (a supervisor took it back after all).
   */
  private async keepLease(node: NodeFile): Promise<NodeFile | undefined> {
    const leaseMs = this.ws.config.lease.duration
    const until = node.lease_until ? Date.parse(node.lease_until) : 0
    if (until - Date.now() > leaseMs / 2) return node
    const outcome = await this.ws.commit(async (snap) => {
      const current = snap.nodes.get(node.id)?.node
      if (!current || !sameClaim(current, node, this.opts.worker)) return {result: undefined}
      // cancelled while it waited: still this worker's, to record the cancel without running it (ExecuteOptions.lookFirst)
      if (current.status === 'cancelled') return {result: node}
      if (current.status !== 'running') return {result: undefined}
      const [path, text, renewed] = transition(current, {kind: 'renew', now: new Date(), leaseMs})
      return {
        files: new Map([[path, text]]),
        message: {action: 'renew', subject: `renew lease on ${node.id}`, nodes: [node.id], worker: this.opts.worker},
        result: renewed,
        documents: new Map([[path, renewed]]),
      }
    })
    if (!outcome.result) this.holding.drop(node.id, node)
    return outcome.result
  }
}
