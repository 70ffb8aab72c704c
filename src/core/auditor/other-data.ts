/**
 * The data files other than its own that a node's re-runs show, at the
 * workspace paths the nodes declare (sealed-data.ts):
 * - with a sealed holdout, cut before it in every re-run but the opening;
 * - in a truncation re-run, cut at the date the node's own data was cut, so
 *   that a strategy looking ahead through another file (tomorrow's benchmark
 *   return) changes its positions there as one looking ahead through its own
 *   data does. Those cuts are the audit's alone: written under a scratch
 *   directory that `dispose` removes.
 */
import {rm} from 'node:fs/promises'
import {scratchDir} from '../state/scratch-dirs.js'
import {declaredDataPaths, sealDeps, sealedDataOverlays, truncationDeps} from '../dag/sealed-data.js'
import type {Overlay} from '../dag/sandbox.js'
import type {HoldoutConfig, NodeFile} from '../schemas/index.js'
import {TableCache} from '../state/data-cuts.js'
import type {Snapshot} from '../state/store.js'
import type {Workspace} from '../state/workspace.js'
import type {RerunRequest} from './rerun.js'

export interface OtherData {
  overlays(req: Pick<RerunRequest, 'opening' | 'truncatedFrom'>): Promise<Overlay[]>
  /** removes the truncation cuts; safe to call more than once */
  dispose(): Promise<void>
}

export function otherDataFiles(
  ws: Workspace,
  snap: Snapshot,
  node: Pick<NodeFile, 'id' | 'data'>,
  holdout: HoldoutConfig | undefined,
  /** how many truncation re-runs will ask (each at its own date) */
  truncations: number,
): OtherData {
  const paths = [...ws.store.derive(declaredDataPaths, snap).keys()]
  const scratch = scratchDir(ws.repo.paths.commonDir, 'audit', node.id)
  // one set of overlays per cut: the truncation re-runs and the other checks' re-runs each ask many times, some at once
  const made = new Map<string, Promise<Overlay[]>>()
  // each file is read once, cut at every truncation date, then forgotten
  const tables = new TableCache(truncations)
  return {
    overlays({opening, truncatedFrom}) {
      const sealed = holdout && !opening ? holdout : undefined
      if (!sealed && truncatedFrom === undefined) return Promise.resolve([])
      const key = `${sealed ? 'sealed' : 'whole'} ${truncatedFrom ?? ''}`
      let overlays = made.get(key)
      if (!overlays) {
        const deps = truncatedFrom === undefined ? sealDeps(ws, sealed!) : truncationDeps(ws, sealed, truncatedFrom, scratch, tables)
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
