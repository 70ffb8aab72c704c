import {NothingToDoError} from '../errors.js'
import type {FileChange} from '../git/tree-edit.js'
import {blockDependents} from './scheduler.js'
import type {NodeFile} from '../schemas/index.js'
import {readableNode} from '../state/store.js'
import type {Workspace} from '../state/workspace.js'
import {transition} from './lifecycle.js'

export interface CancelResult {
  cancelled: string[]
  /** running nodes: their workers stop the process and record the cancel */
  stopping: string[]
  blocked: string[]
}

/**
 * Cancels a pending or running node (a sweep group: all its unfinished
 * variants). A running node stays with its worker, which sees the cancel within
 * a poll, stops the process tree and writes the cancelled verdict.
 */
export async function cancelNode(ws: Workspace, id: string, opts: {by: string; reason?: string}): Promise<CancelResult> {
  const outcome = await ws.commit<CancelResult>(async (snap) => {
    const record = readableNode(snap, id)
    const root = record.node
    const targets: NodeFile[] = root.sweep
      ? [...snap.nodes.values()]
          .map((r) => r.node)
          .filter((n): n is NodeFile => !!n && n.parent === id && (n.status === 'pending' || n.status === 'running'))
      : [root]
    // a node that has ended, or a sweep with no variant left to stop: done already, so a cancel run twice (a script,
    // a retry) is nothing to do (exit 3), as a rollback of what is rolled back is
    if (!root.sweep && root.status !== 'pending' && root.status !== 'running')
      throw new NothingToDoError(
        `node ${id} is ${root.status}; only pending or running nodes can be cancelled`,
        'already_ended',
        `nothing to do: it has ended; to run it again, rigor rerun ${id}`,
      )
    if (root.sweep && targets.length === 0)
      throw new NothingToDoError(
        `sweep ${id} has no pending or running variant to cancel`,
        'already_ended',
        'nothing to do: every variant has ended',
      )
    const reason = opts.reason ?? `cancelled by ${opts.by}`
    const files = new Map<string, FileChange>()
    const overrides = new Map<string, NodeFile>()
    const result: CancelResult = {cancelled: [], stopping: [], blocked: []}
    for (const node of targets) {
      const [path, text, updated] = transition(node, {kind: 'cancel', reason})
      files.set(path, text)
      overrides.set(node.id, updated)
      result.cancelled.push(node.id)
      if (node.status === 'running') result.stopping.push(node.id)
    }
    result.blocked.push(...blockDependents(snap, overrides, files))
    if (files.size === 0) return {result}
    return {
      files,
      message: {
        action: 'cancel',
        subject: `cancel ${id}${targets.length > 1 ? ` (${targets.length} nodes)` : ''}`,
        // a sweep group first: the node the cancel is about (`rigor log --node <group>` finds it), then what it changed
        nodes: [...(root.sweep ? [id] : []), ...result.cancelled, ...result.blocked],
        worker: opts.by,
      },
      result,
    }
  })
  return outcome.result
}
