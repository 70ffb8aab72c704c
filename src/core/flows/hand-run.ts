/** What `rigor run <id>` checks before it runs a node by hand, rather than a worker's claim loop. */
import {createHash} from 'node:crypto'
import {mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import {hostname} from 'node:os'
import {join} from 'node:path'
import {liveRunOf, runsDirectory} from '../dag/run-records.js'
import {leaseLapse} from '../dag/supervise.js'
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
  // a claim someone may be running elsewhere (another clone, another machine: its worker renews a live lease) is not
  // run a second time here under its worker's name; `rigor claim` in this clone, then `rigor run`, is the hand's way
  if (leaseLapse(node, new Date(), ws.config.lease.duration) === undefined && !(await claimedHere(ws, node))) {
    throw new CheckFailedError(
      `node ${node.id} is claimed by worker ${node.worker} (attempt ${node.attempt}, lease until ${node.lease_until}), and not by \`rigor claim\` in this clone: ` +
        'that worker may be running it now, on this machine or another',
      {
        fix: `wait for its verdict (rigor show ${node.id}), or stop that run (rigor cancel ${node.id}); a claim whose worker is gone goes back to pending when its lease expires and \`rigor supervise\` runs, then rigor run ${node.id} runs it`,
      },
    )
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

/** Where this clone keeps the claims its `rigor claim` made, one file per node (the claim as it landed). */
const handClaimsDirectory = (ws: Workspace): string => join(ws.repo.paths.commonDir, 'rigor', 'hand-claims')
const handClaimFile = (ws: Workspace, id: string): string =>
  join(handClaimsDirectory(ws), `${createHash('sha256').update(id).digest('hex').slice(0, 32)}.json`)

/** The claim as `rigor claim` made it: what tells it apart from a later claim of the same node (lifecycle.sameClaim). */
const claimKey = (node: NodeFile) =>
  JSON.stringify({id: node.id, attempt: node.attempt, started_at: node.started_at, worker: node.worker, host: hostname()})

/** Records that `rigor claim` in this clone made `node`'s claim: `rigor run` of it here is then the hand that claimed it. */
export async function recordHandClaim(ws: Workspace, node: NodeFile): Promise<void> {
  await mkdir(handClaimsDirectory(ws), {recursive: true})
  await writeFile(handClaimFile(ws, node.id), claimKey(node))
}

/** Whether `rigor claim` in this clone, on this machine, made this very claim of `node`. */
async function claimedHere(ws: Workspace, node: NodeFile): Promise<boolean> {
  const text = await readFile(handClaimFile(ws, node.id), 'utf8').catch(() => undefined)
  return text === claimKey(node)
}

/** Forgets the record of a hand claim once its run has ended (a later claim of the node is a new one). */
export async function forgetHandClaim(ws: Workspace, node: NodeFile): Promise<void> {
  if (await claimedHere(ws, node)) await rm(handClaimFile(ws, node.id), {force: true})
}
