import {parseYaml} from '../state/documents.js'
import {formatIssuePath} from '../state/documents.js'
import {InputError} from '../errors.js'
import {nowIso} from '../state/node-files.js'
import {SeedNode, SeedSpec, type NodeFile} from '../schemas/index.js'
import {nodesOfSpec, seedNodes} from '../dag/seed.js'
import {paramSegment} from '../state/ids.js'
import type {Workspace} from '../state/workspace.js'
import type {Telemetry} from '../telemetry/telemetry.js'
import {extractBlock} from './run-agent.js'
import {agentName, askWorkspaceAgent} from './workspace-agent.js'
import {nodeFingerprint} from '../dag/rules.js'

export const LEARNINGS_FILE = 'learnings.md'

/** The most nodes one design call asks for (`rigor design --count`, `rigor cycle --design-count`). */
export const MAX_DESIGN_COUNT = 100

export interface DesignResult {
  designer: string
  seeded: string[]
  existing: string[]
  invalid: Array<{index: number; field: string; message: string}>
  attempts: number
  cost_usd: number
}

interface Scored {
  node: NodeFile
  metrics: Record<string, number>
  status: string
}

async function scoredNodes(ws: Workspace, team?: string): Promise<Scored[]> {
  const snap = await ws.currentSnapshot()
  const out: Scored[] = []
  for (const record of snap.nodes.values()) {
    const node = record.node
    if (!node || node.sweep || (team && node.team !== team) || !record.verdictOid) continue
    const verdict = await ws.store.verdict(record).catch(() => undefined)
    if (verdict) out.push({node, metrics: verdict.metrics, status: verdict.status})
  }
  return out.sort((a, b) => (b.metrics.sharpe ?? -Infinity) - (a.metrics.sharpe ?? -Infinity))
}

/** The prompt: best and worst nodes, what each team tried, and what was learned so far. */
export async function designPrompt(ws: Workspace, opts: {count: number; team?: string}): Promise<string> {
  const scored = await scoredNodes(ws, opts.team)
  const line = (s: Scored) =>
    `- ${s.node.id} (${s.status}) run=${JSON.stringify(s.node.run.command)} data=${s.node.data ?? '-'} params=${JSON.stringify(s.node.params)}${s.node.inputs?.length ? ` inputs=${JSON.stringify(s.node.inputs)}` : ''} metrics=${JSON.stringify(s.metrics)}`
  // what was learned, as committed: never a draft in the working tree
  const tip = await ws.readTip()
  const learnings = tip ? ((await ws.repo.readFileAt(tip, LEARNINGS_FILE))?.toString('utf8') ?? '') : ''
  return [
    `You design experiments for a quantitative research DAG managed by rigor.`,
    `Propose ${opts.count} new experiment nodes${opts.team ? ` for team ${opts.team}` : ''} that build on what worked and avoid what failed.`,
    `Answer with one fenced yaml block holding a rigor seed spec: \`nodes:\` a list of {id, team, run: {command: [argv...]}, params, data, inputs}; a node that reads another's outputs keeps its inputs ({from, files, as}). Only nodes: are seeded: write each variant of a sweep as a node.`,
    `Ids are lowercase slash paths like trend/momentum/lookback-120/refined; reuse commands and data files that exist.`,
    '',
    '## Best nodes',
    ...scored.slice(0, 5).map(line),
    '',
    '## Worst nodes',
    ...scored.slice(-5).reverse().map(line),
    '',
    '## What was learned',
    recentLearnings(learnings),
  ].join('\n')
}

/** How much of learnings.md a design prompt carries: the file grows by every assessment, a daily cycle's for good. */
export const LEARNINGS_IN_PROMPT = 32 * 1024

/** The newest whole entries of learnings.md that fit in LEARNINGS_IN_PROMPT characters (the file is appended to, oldest first). */
export function recentLearnings(text: string): string {
  const all = text.trim()
  if (all === '') return '(nothing yet)'
  if (all.length <= LEARNINGS_IN_PROMPT) return all
  const tail = all.slice(-LEARNINGS_IN_PROMPT)
  const entry = tail.indexOf('\n## ')
  return `(earlier learnings left out: all of them are in ${LEARNINGS_FILE})\n\n${entry >= 0 ? tail.slice(entry + 1) : tail}`
}

/**
 * One design step: ask the configured agent for node specs, validate each with
 * the seed schema, and seed the valid ones with `designed_by`. With no agent
 * configured, the built-in designer refines the best accepted nodes, so the
 * cycle works offline.
 */
export async function designNodes(
  ws: Workspace,
  opts: {count: number; team?: string; onRetry?: (attempt: number, why: string) => void; signal?: AbortSignal; telemetry?: Telemetry},
): Promise<DesignResult> {
  const agent = ws.config.agent
  if (!agent) return builtInDesign(ws, opts)
  const designer = agentName(agent.command)
  const prompt = await designPrompt(ws, opts)
  const answer = await askWorkspaceAgent(ws, agent, {
    kind: 'design',
    prompt,
    onRetry: opts.onRetry,
    signal: opts.signal,
    telemetry: opts.telemetry,
  })
  let raw: unknown
  try {
    raw = parseYaml(extractBlock(answer.text), ANSWER)
  } catch (err) {
    // parseYaml names the answer already: once is enough
    throw new InputError(`the agent's answer is not YAML: ${(err as Error).message.replace(`${ANSWER}: `, '')}`, {
      file: 'agent answer',
      fix: 'make the agent answer with one ```yaml block',
    })
  }
  const list = proposedNodes(raw)
  const valid: ProposedNode[] = []
  const invalid: DesignResult['invalid'] = []
  list.forEach((entry, index) => {
    const parsed = SeedNode.safeParse(entry)
    // asked for one team's nodes (--team): one that names no team is the team's, one of another team would be seeded
    // into research nobody asked the agent to design
    if (parsed.success && opts.team !== undefined && (parsed.data.team ?? opts.team) !== opts.team)
      invalid.push({
        index,
        field: `nodes[${index}].team`,
        message: `not seeded: rigor design --team ${opts.team} asked for nodes of team ${opts.team}, not ${parsed.data.team}`,
      })
    else if (parsed.success) valid.push({index, node: opts.team === undefined ? parsed.data : {...parsed.data, team: opts.team}})
    else {
      const issue = parsed.error.issues[0]!
      invalid.push({index, field: formatIssuePath(['nodes', index, ...issue.path]), message: issue.message})
    }
  })
  // the agent was asked for `count` nodes: one that answers with thousands does not grow the DAG (and the budget's runs) by them
  for (const over of valid.splice(opts.count))
    invalid.push({
      index: over.index,
      field: `nodes[${over.index}]`,
      message: `not seeded: more nodes than the ${opts.count} asked for (--count)`,
    })
  invalid.push(...unseededSweeps(raw), ...unreadKeys(raw))
  const seeded = await seedAnswer(ws, valid, invalid, designer)
  // the answer's nodes: in their order, then its sweeps:, then the keys it has beside them
  invalid.sort((a, b) => answerPart(a.field) - answerPart(b.field) || a.index - b.index)
  return {designer, seeded: seeded.added, existing: seeded.existing, invalid, attempts: answer.attempts, cost_usd: answer.cost.usd}
}

interface ProposedNode {
  /** where it stands in the answer's nodes: */
  index: number
  node: ReturnType<typeof SeedNode.parse>
}

const ANSWER = 'agent answer'

/**
 * Seeds the answer's nodes that passed the seed schema. A node the seed then
 * refuses (a team rigor.yaml does not list, data that is not committed, an
 * upstream that does not exist, an id given twice) is reported in `invalid`
 * like a node the schema refused, and the others are seeded: one slip of the
 * agent does not throw away the call it was paid for.
 */
async function seedAnswer(
  ws: Workspace,
  proposed: ProposedNode[],
  invalid: DesignResult['invalid'],
  designer: string,
): Promise<{added: string[]; existing: string[]}> {
  let rest = proposed
  while (rest.length > 0) {
    const drafts = nodesOfSpec(SeedSpec.parse({nodes: rest.map((p) => p.node)}), {designedBy: designer, createdAt: nowIso(), file: ANSWER})
    try {
      return await seedNodes(ws, drafts, {file: ANSWER})
    } catch (err) {
      const refused = err instanceof InputError ? refusedNode(err, rest) : undefined
      if (!(err instanceof InputError) || !refused) throw err
      invalid.push({
        index: refused.proposal.index,
        field: `nodes[${refused.proposal.index}].${refused.field}`,
        message: err.message.replace(`${ANSWER}, field "${err.field}": `, ''),
      })
      rest = rest.filter((p) => p !== refused.proposal)
    }
  }
  return {added: [], existing: []}
}

/** The proposal a seed error names by its field (`nodes[1].id`, `<id>.team`), and the field within it. */
function refusedNode(err: InputError, rest: ProposedNode[]): {proposal: ProposedNode; field: string} | undefined {
  const field = err.field
  if (!field) return undefined
  const byPosition = /^nodes\[(\d+)\]\.(.+)$/.exec(field)
  if (byPosition) {
    const proposal = rest[Number(byPosition[1])]
    return proposal && {proposal, field: byPosition[2]!}
  }
  // ids may hold dots: the longest id the field starts with is the node's
  const proposal = rest.filter((p) => field.startsWith(`${p.node.id}.`)).sort((a, b) => b.node.id.length - a.node.id.length)[0]
  return proposal && {proposal, field: field.slice(proposal.node.id.length + 1)}
}

const SWEEPS_NOT_SEEDED =
  'not seeded: rigor design seeds nodes: only, the nodes the prompt asks for; write each variant of the sweep as a node'

/**
 * The `sweeps:` of an answer that also has `nodes:`, each reported as not
 * seeded: the prompt asks for nodes, and a sweep dropped without a word would
 * look like an agent that designed less than it did.
 */
function unseededSweeps(raw: unknown): DesignResult['invalid'] {
  const sweeps = (raw as {sweeps?: unknown}).sweeps
  if (sweeps === undefined) return []
  if (!Array.isArray(sweeps)) return [{index: 0, field: 'sweeps', message: SWEEPS_NOT_SEEDED}]
  return sweeps.map((_, index) => ({index, field: `sweeps[${index}]`, message: SWEEPS_NOT_SEEDED}))
}

/** Where an `invalid` entry stands in the answer: 0 its nodes:, 1 its sweeps:, 2 its other keys. */
const answerPart = (field: string): number => (/^nodes\[/.test(field) ? 0 : /^sweeps(\[|$)/.test(field) ? 1 : 2)

/**
 * The keys of an answer beside `nodes:` and `sweeps:` (`gates:`, `budget:`, a
 * node's `status:` written at the top), each reported as not read: an agent
 * that tries to change the gates or the budget through its answer is told it did
 * not, and so is its user, rather than the key being dropped without a word.
 */
function unreadKeys(raw: unknown): DesignResult['invalid'] {
  return Object.keys(raw as object)
    .filter((key) => key !== 'nodes' && key !== 'sweeps')
    .map((key) => ({
      index: 0,
      field: key,
      message: 'not read: an answer holds nodes: only; gates, rules and the budget are rigor.yaml, which only a commit changes',
    }))
}

/**
 * The `nodes:` list of the agent's answer. An answer that holds none (prose, a
 * bare list, `nodes:` that is not a list) is refused like one that is not YAML:
 * it was paid for and designed nothing, which must not pass as "seeded 0".
 */
function proposedNodes(raw: unknown): unknown[] {
  const nodes = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as {nodes?: unknown}).nodes : undefined
  if (Array.isArray(nodes)) return nodes
  const got =
    nodes !== undefined
      ? `its nodes: is ${nodes === null ? 'empty' : `a ${typeof nodes}`}, not a list`
      : raw === null || raw === undefined
        ? 'it is empty'
        : Array.isArray(raw)
          ? 'it is a bare list'
          : typeof raw === 'object'
            ? 'sweeps' in raw
              ? 'it has sweeps: and no nodes: key (rigor design seeds nodes: only; write each variant as a node)'
              : 'it has no nodes: key'
            : 'it is text'
  throw new InputError(`the agent's answer holds no seed spec: ${got}`, {
    file: 'agent answer',
    field: 'nodes',
    fix: 'make the agent answer with one ```yaml block holding `nodes:`, a list of nodes (see the prompt)',
  })
}

/** The words of a param that prices the trading rather than shapes the strategy (cost_bps, fee, commissionRate, slippage_bps). */
const COST_WORDS: ReadonlySet<string> = new Set(['cost', 'costs', 'fee', 'fees', 'commission', 'commissions', 'slippage'])

/**
 * Whether a param is a cost assumption: the built-in designer never moves one, as a refinement that
 * lowers the cost it assumes earns its better Sharpe by assuming it.
 */
export const isCostParam = (key: string): boolean =>
  key.split(/[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])/).some((word) => COST_WORDS.has(word.toLowerCase()))

/**
 * Offline: refine the best accepted nodes by moving each numeric param 25% down and up. Only a node with a
 * Sharpe is refined (the order is by Sharpe, and a refinement is judged by it), and not one whose outputs another
 * node reads through inputs: (a pipeline's training stage), as the variant would feed nothing; cost params stay.
 */
async function builtInDesign(ws: Workspace, opts: {count: number; team?: string}): Promise<DesignResult> {
  const designer = 'rigor:refine'
  const snap = await ws.currentSnapshot()
  const upstreams = new Set([...snap.nodes.values()].flatMap((r) => r.node?.inputs?.map((i) => i.from) ?? []))
  const best = (await scoredNodes(ws, opts.team)).filter(
    (s) => s.status === 'proven_accepted' && Number.isFinite(s.metrics.sharpe) && !upstreams.has(s.node.id),
  )
  const proposals: Array<ReturnType<typeof SeedNode.parse>> = []
  for (const s of best) {
    for (const [key, value] of Object.entries(s.node.params)) {
      if (typeof value !== 'number' || value === 0 || isCostParam(key)) continue
      for (const factor of [0.75, 1.25]) {
        // a whole number stays whole and keeps its sign (a negative one clamped to 1 flipped it)
        const rounded = Math.round(value * factor)
        const moved: number = Number.isInteger(value)
          ? value > 0
            ? Math.max(1, rounded)
            : Math.min(-1, rounded)
          : Number((value * factor).toPrecision(3))
        if (moved === value) continue
        proposals.push({
          id: `${s.node.id}/${key.toLowerCase().replace(/[^a-z0-9_]/g, '_')}-${paramSegment(moved)}`,
          team: s.node.team,
          run: s.node.run,
          params: {...s.node.params, [key]: moved},
          data: s.node.data,
          // a refined stage reads what the stage read, from the same upstreams (ids, as node.yaml stores them)
          requires: s.node.requires,
          ...(s.node.inputs?.length ? {inputs: s.node.inputs.map((i) => ({from: i.from, files: i.files, as: i.as}))} : {}),
          priority: s.node.priority,
        })
      }
    }
  }
  const taken = new Set([...snap.nodes.values()].flatMap((r) => (r.node ? [nodeFingerprint(r.node)] : [])))
  // a refinement is one level below its node: a node 16 deep (a refinement of refinements, day after day) has none
  // two params named alike (lookback-fast, lookback_fast) name their refinements alike: the first keeps the id
  const named = new Set<string>()
  const fresh = proposals
    .filter((p) => SeedNode.safeParse(p).success && !snap.nodes.has(p.id) && !taken.has(nodeFingerprint(p)))
    .filter((p) => !named.has(p.id) && named.add(p.id))
    .slice(0, opts.count)
  const seeded = fresh.length
    ? await seedNodes(
        ws,
        nodesOfSpec(SeedSpec.parse({nodes: fresh}), {designedBy: designer, createdAt: nowIso(), file: 'built-in designer'}),
        {file: 'built-in designer'},
      )
    : {added: [], existing: []}
  return {designer, seeded: seeded.added, existing: seeded.existing, invalid: [], attempts: 0, cost_usd: 0}
}
