/** What `rigor run <id>` checks before it runs a node by hand, rather than a worker's claim loop. */
import {liveRunOf, runsDirectory} from '../dag/run-records.js'
import {CheckFailedError} from '../errors.js'
import type {NodeFile} from '../schemas/index.js'
import {nodeFilePath} from '../state/layout.js'
import type {Workspace} from '../state/workspace.js'
import {locallyModifiedStateFiles} from '../views/local-edits.js'

/** A node that is not pending runs only as the claim it is, and only when no one on this machine runs it now. */
export async function assertRunnableClaim(ws: Workspace, node: NodeFile, worker: string | undefined): Promise<void> {
  if (node.status !== 'running') {
    throw new CheckFailedError(`node ${node.id} is ${node.status}; only pending or claimed nodes run`, {
      fix: `rigor rerun ${node.id} puts it back to pending (its verdict stays in the history); then run it`,
    })
  }
  if (worker && node.worker !== worker) {
    throw new CheckFailedError(`node ${node.id} is held by worker ${node.worker}, not ${worker}`, {
      fix: 'run it as its own worker, or wait for `rigor supervise` to re-queue it',
    })
  }
  // a claim someone is running right now is not run a second time under its worker's name
  const live = await liveRunOf(runsDirectory(ws.repo.paths.commonDir), node.id, node.attempt)
  if (live) {
    throw new CheckFailedError(`node ${node.id} is being run now by worker ${node.worker} (pid ${live.worker_pid} on this machine)`, {
      fix: 'wait for its verdict (rigor show), or stop that run: rigor cancel',
    })
  }
}

/**
 * A node whose node.yaml is edited in this checkout and not committed is not run from here, as `claim` and `work` do
 * not claim it: the run would be of the committed file, not the edit, and its verdict would leave the edit behind.
 */
export async function assertNotEditedHere(ws: Workspace, id: string): Promise<void> {
  const file = nodeFilePath(id)
  if (!(await locallyModifiedStateFiles(ws, {paths: [file], untracked: false})).includes(file)) return
  throw new CheckFailedError(`${file} has uncommitted edits: node ${id} is not run from this checkout (it would run as committed)`, {
    fix: `commit or restore the file (git checkout -- ${file}); \`rigor verify\` checks it`,
  })
}
