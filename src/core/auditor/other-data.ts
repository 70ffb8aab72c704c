/**
 * The data files other than its own that a node's re-runs show, at the
 * workspace paths the nodes declare (sealed-data.ts):
 * - with a sealed holdout, cut before it in every re-run but the opening;
 * - in a truncation re-run, cut at the date the node's own data was cut, so
 *   that a strategy looking ahead through another file (tomorrow's benchmark
 *   return) changes its positions there as one looking ahead through its own
 *   data does;
 * - in a permutation re-run, shuffled with the same permutation of dates as
 *   the node's own data (permuted-data.ts), so that a strategy peeking at
 *   tomorrow's benchmark through another file keeps its edge on the copies
 *   as one peeking through its own data does.
 * Those files are the audit's alone: written under a scratch directory that
 * `dispose` removes.
 */
import {rm} from 'node:fs/promises'
import {scratchDir} from '../state/scratch-dirs.js'
import {auditDeps, declaredDataPaths, sealDeps, sealedDataOverlays} from '../dag/sealed-data.js'
import type {Overlay} from '../dag/sandbox.js'
import type {HoldoutConfig, NodeFile} from '../schemas/index.js'
import {TableCache} from '../state/data-cuts.js'
import type {Snapshot} from '../state/store.js'
import type {Workspace} from '../state/workspace.js'
import {permutationAlteration, permutes, type PreparedTables} from './permuted-data.js'
import type {RerunRequest} from './rerun.js'

/** What of a re-run's request decides how the other data files show. */
export type OtherDataRequest = Pick<RerunRequest, 'opening' | 'truncatedFrom' | 'permutation'>

export interface OtherData {
  overlays(req: OtherDataRequest): Promise<Overlay[]>
  /** removes the truncation cuts and the permuted files; safe to call more than once */
  dispose(): Promise<void>
}

export function otherDataFiles(
  ws: Workspace,
  snap: Snapshot,
  node: Pick<NodeFile, 'id' | 'data'>,
  holdout: HoldoutConfig | undefined,
  /** how many re-runs will ask: truncations (each at its own date), permutations (each with its own seed) */
  uses: {truncations: number; permutations: number},
): OtherData {
  const paths = [...ws.store.derive(declaredDataPaths, snap).keys()]
  const scratch = scratchDir(ws.repo.paths.commonDir, 'audit', node.id)
  // one set of overlays per cut: the truncation re-runs and the other checks' re-runs each ask many times, some at once
  const made = new Map<string, Promise<Overlay[]>>()
  // each file is read once, cut at every truncation date (shuffled by every permutation), then forgotten
  const tables = new TableCache(uses.truncations)
  const permutedTables = new TableCache(uses.permutations)
  // what every permutation of one table needs, worked out once per table read
  const prepared: PreparedTables = new WeakMap()
  return {
    overlays({opening, truncatedFrom, permutation}) {
      const sealed = holdout && !opening ? holdout : undefined
      const permuted = permutes(permutation) ? permutation : undefined
      if (!sealed && truncatedFrom === undefined && !permuted) return Promise.resolve([])
      const alter = permuted && permutationAlteration(permuted, prepared)
      const key = `${sealed ? 'sealed' : 'whole'} ${truncatedFrom ?? ''} ${alter?.tag ?? ''}`
      let overlays = made.get(key)
      if (!overlays) {
        const deps =
          truncatedFrom === undefined && !alter
            ? sealDeps(ws, sealed!)
            : auditDeps(ws, sealed, {from: truncatedFrom, alter}, scratch, alter ? permutedTables : tables)
        overlays = sealedDataOverlays(deps, paths, snap.commit, node.data)
        made.set(key, overlays)
      }
      return overlays
    },
    async dispose() {
      await Promise.allSettled(made.values())
      await rm(scratch, {recursive: true, force: true})
    },
  }
}
