/**
 * The verdicts that left the tree: `rigor rerun` removes a node's verdict, and
 * the next run replaces a verdict (a blocked node that runs again). The runs
 * they record happened all the same, so the run counters of `rigor metrics`
 * (durations, cost, gate decisions) count them from the history; counted from
 * the tree alone, a rerun would make those counters shrink, which Prometheus
 * reads as a reset.
 */
import {classifyStatePath, EXPERIMENTS_DIR} from '../state/layout.js'
import type {Workspace} from '../state/workspace.js'
import type {VerdictFile} from '../schemas/index.js'

export interface RetiredVerdict {
  /** the node's id */
  id: string
  verdict: VerdictFile
}

const VERDICT_PATHSPECS = [`:(top,glob)${EXPERIMENTS_DIR}/**/verdict.yaml`, `:(top,exclude,glob)${EXPERIMENTS_DIR}/**/out/**`]

/**
 * The verdict files that commits after `since` (all of `tip`'s history without
 * it) modified or deleted, as they were before: newest first. A file that
 * cannot be used (corrupt, invalid) is left out, as it is on the tip.
 */
export async function readRetiredVerdicts(ws: Workspace, tip: string, since: string | undefined): Promise<RetiredVerdict[]> {
  const range = since ? `${since}..${tip}` : tip
  const log = await ws.repo.git([
    'log',
    '-z',
    '--raw',
    '--no-abbrev',
    '--no-renames',
    '--diff-filter=MD',
    '--format=',
    range,
    '--',
    ...VERDICT_PATHSPECS,
  ])
  const fields = log.stdout.split('\0')
  const out: RetiredVerdict[] = []
  for (let i = 0; i < fields.length; i++) {
    // ":<old mode> <new mode> <old oid> <new oid> <M|D>", then the path
    const meta = /^\n?:\d+ \d+ ([0-9a-f]+) [0-9a-f]+ [MD]$/.exec(fields[i]!)
    if (!meta) continue
    const hit = classifyStatePath(fields[++i] ?? '')
    if (hit?.kind !== 'verdict') continue
    const verdict = await ws.store.verdict({id: hit.id, nodeOid: '', verdictOid: meta[1]}).catch(() => undefined)
    if (verdict) out.push({id: hit.id, verdict})
  }
  return out
}
