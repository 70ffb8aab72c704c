import {readFile, stat} from 'node:fs/promises'
import {join, relative, resolve} from 'node:path'
import {parseYaml, validate} from './documents.js'
import {InputError} from './errors.js'
import type {FileChange} from './git/tree-edit.js'
import {renderNode} from './nodes.js'
import {nodeFilePath} from './paths.js'
import {SeedSpec, type NodeDraft, type NodeFile, type SeedNode} from './schemas/index.js'
import type {Workspace} from './workspace.js'
import {expandSweep} from './sweeps.js'

export interface SeedResult {
  /** experiment nodes added (sweep variants and single nodes) */
  added: string[]
  existing: string[]
  /** sweep group nodes added: they hold variants and are never run */
  sweeps: string[]
}

/** Reads and validates a seed spec file; errors name the file and the field. */
export async function readSeedSpec(file: string): Promise<SeedSpec> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    throw new InputError(`cannot read seed spec ${file}`, {fix: 'check the path'})
  }
  return validate(SeedSpec, parseYaml(text, file), file)
}

/** The nodes a spec describes, in the order written: single nodes, then each sweep's node and its variants. */
export function nodesOfSpec(spec: SeedSpec, meta: {seededBy?: string; designedBy?: string; createdAt: string; file?: string}): NodeDraft[] {
  const drafts: NodeDraft[] = []
  const base = (entry: SeedNode, id: string, params: Record<string, unknown>): NodeDraft => ({
    id,
    team: entry.team ?? id.split('/')[0]!,
    status: 'pending',
    run: entry.run,
    params,
    data: entry.data,
    requires: entry.requires,
    priority: entry.priority,
    generation: 0,
    attempt: 0,
    seeded_by: meta.seededBy,
    designed_by: meta.designedBy,
    created_at: meta.createdAt,
  })
  for (const entry of spec.nodes) drafts.push(base(entry, entry.id, entry.params))
  for (const [i, sweep] of spec.sweeps.entries()) {
    drafts.push({...base(sweep, sweep.id, sweep.params), sweep: true})
    for (const variant of expandSweep(sweep, {file: meta.file, field: `sweeps[${i}]`})) drafts.push({...base(sweep, variant.id, variant.params), parent: sweep.id})
  }
  return drafts.map((draft, seq) => ({...draft, seq}))
}

/**
 * Adds the spec's nodes that do not exist yet, in one commit: seeding the
 * same spec twice adds nothing. Checks teams, requirements and data files first,
 * so a bad spec writes nothing.
 */
export async function seedNodes(ws: Workspace, drafts: NodeDraft[], opts: {file: string}): Promise<SeedResult> {
  const teams = new Set(ws.config.teams.map((t) => t.name))
  const ids = new Set<string>()
  for (const [i, draft] of drafts.entries()) {
    if (ids.has(draft.id)) throw new InputError(`node ${draft.id} appears twice`, {file: opts.file, field: `nodes[${i}].id`, fix: 'give each node its own id'})
    ids.add(draft.id)
    if (teams.size > 0 && !teams.has(draft.team)) {
      throw new InputError(`team "${draft.team}" of ${draft.id} is not in rigor.yaml`, {
        file: opts.file,
        field: `${draft.id}.team`,
        fix: `add {name: ${draft.team}} to teams in rigor.yaml, or use one of: ${[...teams].join(', ')}`,
      })
    }
    if (draft.data) await checkDataFile(ws.root, draft.data, opts.file, draft.id)
  }
  const outcome = await ws.commit(async (snap) => {
    const files = new Map<string, FileChange>()
    const added: string[] = []
    const existing: string[] = []
    const sweeps: string[] = []
    for (const draft of drafts) {
      for (const req of draft.requires ?? []) {
        if (!ids.has(req) && !snap.nodes.has(req)) {
          throw new InputError(`${draft.id} requires ${req}, which is neither in the spec nor in the DAG`, {
            file: opts.file,
            field: `${draft.id}.requires`,
            fix: `seed ${req} first or remove it from requires`,
          })
        }
      }
      if (snap.nodes.has(draft.id)) {
        existing.push(draft.id)
        continue
      }
      const {text} = renderNode(draft as NodeFile)
      files.set(nodeFilePath(draft.id), text)
      if (draft.sweep) sweeps.push(draft.id)
      else added.push(draft.id)
    }
    const result = {added, existing, sweeps}
    if (files.size === 0) return {result}
    return {files, message: {action: 'seed', subject: `seed ${added.length} node(s) from ${opts.file}`, nodes: [...sweeps, ...added]}, result}
  })
  return outcome.result
}

async function checkDataFile(root: string, data: string, file: string, id: string): Promise<void> {
  const full = resolve(root, data)
  if (relative(root, full).startsWith('..')) {
    throw new InputError(`data path ${data} of ${id} leaves the workspace`, {file, field: `${id}.data`, fix: 'put the data file inside the repository'})
  }
  try {
    if (!(await stat(join(root, data))).isFile()) throw new Error('not a file')
  } catch {
    throw new InputError(`data file ${data} of ${id} does not exist`, {file, field: `${id}.data`, fix: `add ${data} to the workspace or correct the path`})
  }
}
