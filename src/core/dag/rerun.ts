import {CheckFailedError, InputError} from '../errors.js'
import type {FileChange} from '../git/tree-edit.js'
import {outDirPath, verdictFilePath} from '../state/layout.js'
import {readableNode} from '../state/store.js'
import type {Workspace} from '../state/workspace.js'
import {ALLOWED_FROM, transition} from './lifecycle.js'

export interface RerunResult {
  id: string
  /** the status the node had, whose verdict the history keeps */
  was: string
  /** finished nodes that read this node's outputs: stale once the new verdict differs */
  dependents: string[]
}

/**
 * Puts a finished node back to pending so it runs again (a stage retrained on
 * new data, a flaky tool): its verdict and out/ leave the tree in the same
 * commit and stay in the history. Nodes that read its outputs keep their
 * verdicts and are shown stale once the new outputs differ.
 */
export async function rerunNode(ws: Workspace, id: string, opts: {by: string; reason?: string}): Promise<RerunResult> {
  const outcome = await ws.commit<RerunResult>(async (snap) => {
    const record = readableNode(snap, id)
    const node = record.node
    if (node.sweep) throw new InputError(`${id} is a sweep group, which never runs`, {fix: 'rerun one of its variants'})
    if (!ALLOWED_FROM.rerun.includes(node.status)) {
      throw new CheckFailedError(`node ${id} is ${node.status}; only a finished run (${ALLOWED_FROM.rerun.join(', ')}) can run again`, {
        fix: node.status === 'blocked' ? 'rerun the requirement that blocked it, then seed this node again' : 'wait for its verdict',
      })
    }
    const reason = opts.reason ?? `rerun by ${opts.by}`
    const files = new Map<string, FileChange>()
    const [path, text] = transition(node, {kind: 'rerun', reason})
    files.set(path, text)
    files.set(verdictFilePath(id), null)
    files.set(outDirPath(id), null)
    const dependents = [...snap.nodes.values()].filter((r) => r.node?.inputs?.some((i) => i.from === id) && r.verdictOid).map((r) => r.id)
    return {
      files,
      message: {action: 'rerun', subject: `rerun ${id} (was ${node.status})`, nodes: [id], worker: opts.by},
      result: {id, was: node.status, dependents},
    }
  })
  return outcome.result
}
