import {randomUUID} from 'node:crypto'
import {AgentReservationFile} from '../schemas/agent-reservation.js'
import {loadStateDocument} from '../state/documents.js'
import {AGENT_RESERVATIONS_DIR} from '../state/layout.js'
import {nowIso} from '../state/node-files.js'
import {isoTimeMillis} from '../validation.js'
import {listTreeFiles, readBlobs} from '../state/tree-files.js'
import type {Snapshot} from '../state/store.js'
import type {Workspace} from '../state/workspace.js'

/** Past an attempt's timeout, how long a reservation still holds: the call's record may be committing. */
export const RESERVATION_MARGIN_MS = 60_000

/** The reservation file of one agent call: one per call, rewritten before each attempt, removed by the call's record. */
export const agentReservationPath = (kind: 'design' | 'assess', at = new Date()): string =>
  `${AGENT_RESERVATIONS_DIR}/${nowIso(at).replace(/[:.]/g, '-')}-${kind}-${process.pid}-${randomUUID().slice(0, 8)}.yaml`

export interface AgentReservations {
  /** what the calls in flight hold, each by its file */
  live: Array<{path: string; usd: number}>
  /** reservations past their expiry: their process died mid-call; the next reservation removes them */
  expired: string[]
}

/** The agent calls in flight in a state, at `now`. A broken reservation holds nothing and is `rigor verify`'s to report. */
export async function agentReservations(ws: Pick<Workspace, 'repo'>, snap: Pick<Snapshot, 'tree'>, now: Date): Promise<AgentReservations> {
  const files = await listTreeFiles(ws.repo, snap.tree, AGENT_RESERVATIONS_DIR)
  const out: AgentReservations = {live: [], expired: []}
  if (files.length === 0) return out
  const blobs = await readBlobs(
    ws.repo,
    files.map((f) => f.oid),
  )
  files.forEach((f, i) => {
    try {
      const doc = loadStateDocument(AgentReservationFile, blobs[i]!.toString('utf8'), f.path)
      if (isoTimeMillis(doc.expires_at) > now.getTime()) out.live.push({path: f.path, usd: doc.reserved_usd})
      else out.expired.push(f.path)
    } catch {
      // named by rigor verify
    }
  })
  return out
}
