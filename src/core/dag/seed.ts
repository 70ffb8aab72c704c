import {readInputFile} from '../input-file.js'
import {committedDataFile} from '../state/data-files.js'
import {parseYaml, utf8Text, validate} from '../state/documents.js'
import {InputError} from '../errors.js'
import {controlsEscaped, quoted} from '../validation.js'
import type {FileChange} from '../git/tree-edit.js'
import {renderNode} from '../state/node-files.js'
import {nodeFilePath} from '../state/layout.js'
import {SeedSpec, type NodeDraft, type NodeFile, type SeedNode} from '../schemas/index.js'
import type {Snapshot} from '../state/store.js'
import type {Workspace} from '../state/workspace.js'
import {expandSweep} from './sweeps.js'
import {inputSources, resolveNodeInputs} from './inputs.js'

export interface SeedResult {
  /** experiment nodes added (sweep variants and single nodes) */
  added: string[]
  existing: string[]
  /** sweep group nodes added: they hold variants and are never run */
  sweeps: string[]
}

/** Reads and validates a seed spec file; errors name the file and the field. */
export async function readSeedSpec(file: string, name = file): Promise<SeedSpec> {
  const bytes = readInputFile(file, {what: 'a seed spec', maxBytes: 64 * 1024 * 1024, fix: 'give the path of a seed spec YAML file', name})
  return validate(SeedSpec, parseYaml(utf8Text(bytes, name), name), name)
}

/** The nodes a spec describes, in the order written: single nodes, then each sweep's node and its variants. */
export function nodesOfSpec(spec: SeedSpec, meta: {seededBy?: string; designedBy?: string; createdAt: string; file?: string}): NodeDraft[] {
  const drafts: NodeDraft[] = []
  const base = (entry: SeedNode, id: string, params: Record<string, unknown>): NodeDraft => {
    // relative `from`s are read from the entry that declares them: every variant of a sweep reads the same upstream
    const inputs = resolveNodeInputs(entry.id, entry.inputs, {file: meta.file})
    return {
      id,
      team: entry.team ?? id.split('/')[0]!,
      status: 'pending',
      run: entry.run,
      params,
      data: entry.data,
      // an input's upstream must be accepted before this node starts
      requires: [...new Set([...entry.requires, ...inputSources(inputs)])],
      ...(inputs ? {inputs} : {}),
      priority: entry.priority,
      family: entry.family,
      trials_outside: entry.trials_outside,
      generation: 0,
      attempt: 0,
      seeded_by: meta.seededBy,
      designed_by: meta.designedBy,
      created_at: meta.createdAt,
    }
  }
  for (const entry of spec.nodes) drafts.push(base(entry, entry.id, entry.params))
  for (const [i, sweep] of spec.sweeps.entries()) {
    drafts.push({...base(sweep, sweep.id, sweep.params), sweep: true})
    for (const variant of expandSweep(sweep, {file: meta.file, field: `sweeps[${i}]`}))
      drafts.push({...base(sweep, variant.id, variant.params), parent: sweep.id})
    if (drafts.length > MAX_SEED_NODES) throw tooManyNodes(drafts.length, i, meta.file)
  }
  if (drafts.length > MAX_SEED_NODES) throw tooManyNodes(drafts.length, undefined, meta.file)
  return drafts.map((draft, seq) => ({...draft, seq}))
}

/**
 * The most nodes one spec adds, sweep variants and groups included: each grid may hold
 * 10,000 variants, and a 25 KB spec of 30 of them made 300,000 node files (minutes of
 * writing, gigabytes of objects, every later command slow) in one commit.
 */
export const MAX_SEED_NODES = 100_000

function tooManyNodes(count: number, sweep: number | undefined, file: string | undefined): InputError {
  const where = sweep === undefined ? `${count} nodes` : `more than ${MAX_SEED_NODES} nodes by sweeps[${sweep}] (${count} so far)`
  return new InputError(`the spec describes ${where}; one seed adds at most ${MAX_SEED_NODES}`, {
    file,
    field: sweep === undefined ? 'nodes' : `sweeps[${sweep}]`,
    fix: 'use fewer sweep values (a random sweep samples a large space), or seed the sweeps from separate specs',
  })
}

/**
 * Adds the spec's nodes that do not exist yet, in one commit: seeding the
 * same spec twice adds nothing. Checks teams, requirements and data files first,
 * so a bad spec writes nothing.
 */
export async function seedNodes(ws: Workspace, drafts: NodeDraft[], opts: {file: string}): Promise<SeedResult> {
  const teams = new Set(ws.config.teams.map((t) => t.name))
  const ids = new Set<string>()
  const fields = specFields(drafts)
  for (const [i, draft] of drafts.entries()) {
    if (ids.has(draft.id))
      throw new InputError(`node ${draft.id} appears twice`, {file: opts.file, field: fields[i], fix: 'give each node its own id'})
    ids.add(draft.id)
    if (teams.size > 0 && !teams.has(draft.team)) {
      throw new InputError(`team ${quoted(draft.team)} of ${draft.id} is not in ${ws.configFile}`, {
        file: opts.file,
        field: `${draft.id}.team`,
        fix: `add {name: ${quoted(draft.team)}} to teams in rigor.yaml and commit it, or use one of: ${[...teams].join(', ')}`,
      })
    }
  }
  const outcome = await ws.commit(async (snap) => {
    const files = new Map<string, FileChange>()
    // data: "" is no path (everything after would read it as no data at all), not a node without data
    for (const draft of drafts)
      if (draft.data !== undefined) await committedDataFile(ws.repo, snap.commit, draft.data, {file: opts.file, field: `${draft.id}.data`})
    const cycle = requirementCycle(drafts, snap)
    if (cycle) {
      throw new InputError(`requires forms a cycle: ${cycle.join(' -> ')}; these nodes could never start`, {
        file: opts.file,
        field: `${cycle[0]}.requires`,
        fix: 'remove one of the requirements so that every chain ends at a node that requires nothing',
      })
    }
    const added: string[] = []
    const existing: string[] = []
    const sweeps: string[] = []
    const sweepGroups = sweepGroupsOf(drafts, snap)
    for (const draft of drafts) {
      for (const req of draft.requires ?? []) {
        if (!ids.has(req) && !snap.nodes.has(req)) throw missingUpstream(draft, req, opts.file)
        const variants = sweepGroups.get(req)
        if (variants && !snap.nodes.has(draft.id)) throw sweepUpstream(draft, req, variants, opts.file)
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
    // who seeded (or which designer), so `rigor log --worker` finds it
    const by = drafts[0]?.seeded_by ?? drafts[0]?.designed_by
    return {
      files,
      message: {
        action: 'seed',
        subject: `seed ${added.length} node(s) from ${specShown(opts.file)}`,
        nodes: [...sweeps, ...added],
        worker: by,
      },
      result,
    }
  })
  return outcome.result
}

/**
 * Where each draft was written in the spec, for an id given twice: `nodes[i].id`, `sweeps[j].id` for a sweep's own
 * node, `sweeps[j]` for a variant (named from its params). nodesOfSpec writes the nodes first, then each sweep's node
 * followed by its variants (the only drafts with a parent).
 */
function specFields(drafts: NodeDraft[]): string[] {
  let node = -1
  let sweep = -1
  return drafts.map((draft) => {
    if (draft.sweep) return `sweeps[${++sweep}].id`
    if (draft.parent !== undefined && sweep >= 0) return `sweeps[${sweep}]`
    return `nodes[${++node}].id`
  })
}

/**
 * The spec's file name as the commit subject shows it: any file name will do for a spec
 * (a line break or an escape character in it is written as its escape, so it cannot
 * start a line of the message), and a long path keeps its end, the file's own name.
 */
function specShown(file: string): string {
  const shown = controlsEscaped(file)
  return shown.length > 200 ? `...${shown.slice(-200)}` : shown
}

/** The error for a node's upstream that is neither in the spec nor in the DAG: named where it was written, an input's `from` or `requires`. */
function missingUpstream(draft: NodeDraft, req: string, file: string): InputError {
  const input = draft.inputs?.findIndex((i) => i.from === req) ?? -1
  if (input >= 0)
    return new InputError(`input ${input} of ${draft.id} reads from ${req}, which is neither in the spec nor in the DAG`, {
      file,
      field: `${draft.id}.inputs[${input}].from`,
      fix: `seed ${req} first, or correct the input's from: the id of an upstream node, or ../<sibling> relative to this node`,
    })
  return new InputError(`${draft.id} requires ${req}, which is neither in the spec nor in the DAG`, {
    file,
    field: `${draft.id}.requires`,
    fix: `seed ${req} first or remove it from requires`,
  })
}

/** The sweep groups of the spec and the DAG, each with its variants' ids: a group is never run, so never accepted. */
function sweepGroupsOf(drafts: NodeDraft[], snap: Snapshot): Map<string, string[]> {
  const groups = new Map<string, string[]>()
  const nodes = [...[...snap.nodes.values()].map((r) => r.node), ...drafts.filter((d) => !snap.nodes.has(d.id))]
  for (const node of nodes) if (node?.sweep) groups.set(node.id, [])
  for (const node of nodes) if (node?.parent && groups.has(node.parent)) groups.get(node.parent)!.push(node.id)
  return groups
}

/** The error for a node that requires (or reads an input from) a sweep group: it would wait forever. */
function sweepUpstream(draft: NodeDraft, req: string, variants: string[], file: string): InputError {
  const some = `${variants.slice(0, 3).join(', ')}${variants.length > 3 ? ', ...' : ''}`
  const input = draft.inputs?.findIndex((i) => i.from === req) ?? -1
  const what = input >= 0 ? `input ${input} of ${draft.id} reads from` : `${draft.id} requires`
  return new InputError(
    `${what} ${req}, but ${req} is a sweep group: it holds variants and is never run, so ${draft.id} would wait forever`,
    {
      file,
      field: input >= 0 ? `${draft.id}.inputs[${input}].from` : `${draft.id}.requires`,
      fix: `name one of its variants instead${some ? ` (${some})` : ''}`,
    },
  )
}

/**
 * A cycle in `requires` across the spec and the DAG (a node requiring itself
 * included), as the ids along it, or undefined. Such nodes would wait forever.
 */
export function requirementCycle(drafts: NodeDraft[], snap: Snapshot): string[] | undefined {
  const requires = new Map<string, readonly string[]>()
  for (const record of snap.nodes.values()) if (record.node) requires.set(record.id, record.node.requires)
  for (const draft of drafts) if (!snap.nodes.has(draft.id)) requires.set(draft.id, draft.requires ?? [])
  const state = new Map<string, 'visiting' | 'done'>()
  // depth first with a stack of its own: a chain of 30,000 requirements in the DAG overflowed JavaScript's
  const visit = (start: string): string[] | undefined => {
    if (state.get(start) === 'done') return undefined
    const path: string[] = [start]
    const next: number[] = [0]
    state.set(start, 'visiting')
    while (path.length > 0) {
      const id = path[path.length - 1]!
      const reqs = requires.get(id) ?? []
      const i = next[next.length - 1]!
      if (i >= reqs.length) {
        state.set(id, 'done')
        path.pop()
        next.pop()
        continue
      }
      next[next.length - 1] = i + 1
      const req = reqs[i]!
      const seen = state.get(req)
      if (seen === 'visiting') return [...path.slice(path.indexOf(req)), req]
      if (seen === 'done') continue
      state.set(req, 'visiting')
      path.push(req)
      next.push(0)
    }
    return undefined
  }
  for (const draft of drafts) {
    const found = visit(draft.id)
    if (found) return found
  }
  return undefined
}
