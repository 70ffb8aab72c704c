/**
 * The node lifecycle: every status change a node file can go through, each
 * written once, with the states it may start from in one table. Callers say
 * what happened (`claim`, `finish`, `release`, ...); a transition from a state
 * the table does not allow is a bug, and throws before anything is written.
 *
 *   pending  --claim-->  running  --finish-->  proven_accepted | proven_rejected | inconclusive
 *   running  --renew-->  running               (a fresh lease)
 *   running  --release-> pending               (put back, the attempt does not count)
 *   running  --requeue-> pending               (a lease expired; the attempt counts)
 *   running  --expire--> inconclusive          (a lease expired on the last attempt)
 *   pending  --block-->  blocked               (a requirement can never be met)
 *   pending | running --cancel--> cancelled
 *   running(cancelled while it ran) --finish--> cancelled
 *   a finished node --archive/unarchive--> itself, archived or not (ranking)
 *   accepted | rejected | inconclusive | cancelled --rerun--> pending   (run again, e.g. retrain a stage)
 *   blocked --rerun--> pending                (its requirement runs again: it waits for it again)
 */
import type {FileChange} from '../git/tree-edit.js'
import type {NodeFile, NodeStatus} from '../schemas/index.js'
import {nodeChange, nowIso, type NodePatch} from '../state/node-files.js'
import {InternalError} from '../errors.js'

export type Transition =
  | 'claim'
  | 'renew'
  | 'release'
  | 'requeue'
  | 'expire'
  | 'finish'
  | 'block'
  | 'cancel'
  | 'archive'
  | 'unarchive'
  | 'rerun'

const FINISHED: readonly NodeStatus[] = ['proven_accepted', 'proven_rejected', 'inconclusive', 'blocked', 'cancelled']

/** The states each transition may start from. */
export const ALLOWED_FROM: Readonly<Record<Transition, readonly NodeStatus[]>> = {
  claim: ['pending'],
  renew: ['running'],
  release: ['running'],
  requeue: ['running'],
  expire: ['running'],
  // a run cancelled while it ran is finished by its worker, as cancelled
  finish: ['running', 'cancelled'],
  block: ['pending'],
  cancel: ['pending', 'running'],
  archive: FINISHED,
  unarchive: FINISHED,
  // blocked: once the requirement that blocked it runs again (rerun.ts decides when)
  rerun: ['proven_accepted', 'proven_rejected', 'inconclusive', 'cancelled', 'blocked'],
}

export type FinishStatus = 'proven_accepted' | 'proven_rejected' | 'inconclusive' | 'cancelled'

/** What each transition needs to know. */
export type TransitionInput =
  | {kind: 'claim'; worker: string; now: Date; leaseMs: number}
  | {kind: 'renew'; now: Date; leaseMs: number}
  | {kind: 'release'}
  | {kind: 'requeue'; reason: string}
  | {kind: 'expire'; reason: string}
  | {kind: 'finish'; status: FinishStatus; reason?: string}
  | {kind: 'block'; reason: string}
  | {kind: 'cancel'; reason: string}
  | {kind: 'archive'}
  | {kind: 'unarchive'}
  | {kind: 'rerun'; reason: string; spent?: NodeFile['spent']}

/** A transition from a state the table does not allow: callers decide on the current state, so this is a bug. */
export class IllegalTransitionError extends InternalError {
  constructor(node: NodeFile, kind: Transition) {
    super(`cannot ${kind} node ${node.id}: it is ${node.status} (${kind} needs ${ALLOWED_FROM[kind].join(' or ')})`)
  }
}

/**
 * Whether `node` is still the claim `claimed` is, for `worker`: the worker and the attempt alone come round again
 * (a rerun counts attempts from zero, so the same worker may claim the node again at the same attempt while its
 * stopped run has still to record the cancel); the time of the claim does not. A cancel keeps all three.
 */
export const sameClaim = (node: NodeFile | undefined, claimed: NodeFile, worker: string): boolean =>
  node !== undefined && node.worker === worker && node.attempt === claimed.attempt && node.started_at === claimed.started_at

/** The node after a transition, as its new node.yaml: [path, file content, node]. */
export function transition(node: NodeFile, input: TransitionInput): [string, FileChange, NodeFile] {
  if (!ALLOWED_FROM[input.kind].includes(node.status)) throw new IllegalTransitionError(node, input.kind)
  return nodeChange(node, patchFor(node, input))
}

function patchFor(node: NodeFile, input: TransitionInput): NodePatch {
  switch (input.kind) {
    case 'claim':
      return {
        status: 'running',
        worker: input.worker,
        attempt: node.attempt + 1,
        started_at: nowIso(input.now),
        lease_until: nowIso(new Date(input.now.getTime() + input.leaseMs)),
        reason: undefined,
      }
    case 'renew':
      return {lease_until: nowIso(new Date(input.now.getTime() + input.leaseMs))}
    case 'release':
      // put back by its own worker (a stop, a crash the same machine recovers from): the attempt does not count
      return {status: 'pending', attempt: Math.max(0, node.attempt - 1), worker: undefined, started_at: undefined, lease_until: undefined}
    case 'requeue':
      return {status: 'pending', worker: undefined, started_at: undefined, lease_until: undefined, reason: input.reason}
    case 'expire':
      return {status: 'inconclusive', lease_until: undefined, reason: input.reason}
    case 'finish':
      return {status: input.status, reason: input.reason, lease_until: undefined}
    case 'block':
      return {status: 'blocked', reason: input.reason}
    case 'cancel':
      return {status: 'cancelled', reason: input.reason}
    case 'archive':
      return {archived: true}
    case 'unarchive':
      return {archived: undefined}
    case 'rerun':
      // a fresh run: its attempts count from zero again; the last verdict stays in the history
      return {
        status: 'pending',
        attempt: 0,
        worker: undefined,
        started_at: undefined,
        lease_until: undefined,
        reason: input.reason,
        archived: undefined,
        // the day's spend its removed verdict carried (rerun.ts reckons it); a blocked node put back has none to move
        ...('spent' in input ? {spent: input.spent} : {}),
      }
  }
}
