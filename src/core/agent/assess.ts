import {InputError, NothingToDoError} from '../errors.js'
import {dumpYaml} from '../state/documents.js'
import {readableNode} from '../state/store.js'
import {verdictFilePath} from '../state/layout.js'
import type {NodeFile} from '../schemas/index.js'
import type {Workspace} from '../state/workspace.js'
import type {Telemetry} from '../telemetry/telemetry.js'
import {LEARNINGS_FILE} from './design.js'
import {agentName, askWorkspaceAgent} from './workspace-agent.js'
import {markdownText} from '../state/markdown-text.js'
import {sweepGroupNamed} from '../dag/sweeps.js'

/** The most of an agent's assessment learnings.md keeps (characters). */
export const ASSESSMENT_MAX = 8 * 1024

export interface AssessResult {
  node: string
  assessor: string
  assessment: string
  attempts: number
  /** what the agent's attempts cost (0 offline) */
  cost_usd: number
}

/**
 * Asks the agent to judge one verdict and appends what it learned to
 * learnings.md (committed), so later designs build on it. Offline, a
 * deterministic assessment is written from the metrics and the gates.
 */
export async function assessNode(
  ws: Workspace,
  id: string,
  opts: {onRetry?: (attempt: number, why: string) => void; signal?: AbortSignal; telemetry?: Telemetry} = {},
): Promise<AssessResult> {
  const snap = await ws.currentSnapshot()
  const record = readableNode(snap, id)
  // a sweep group holds variants and never runs: "run it first" would send the user after a verdict that never comes
  if (record.node?.sweep)
    throw sweepGroupNamed(snap, id, {problem: 'which never runs and has no verdict', fix: 'assess one of its variants'})
  const verdict = await ws.store.verdict(record)
  if (!verdict) throw noVerdictError(record.node!)
  const agent = ws.config.agent
  let assessment: string
  let assessor: string
  let attempts = 0
  let costUsd = 0
  if (agent) {
    assessor = agentName(agent.command)
    const prompt = [
      'Judge this experiment verdict in at most five sentences: is the edge real, what is suspicious, what should be tried next?',
      '',
      dumpYaml({node: record.node, verdict}),
    ].join('\n')
    const answer = await askWorkspaceAgent(ws, agent, {
      kind: 'assess',
      prompt,
      node: id,
      onRetry: opts.onRetry,
      signal: opts.signal,
      telemetry: opts.telemetry,
    })
    // asked for five sentences: a runaway answer (up to 16 MiB) is not committed to learnings.md whole
    assessment =
      answer.text.length > ASSESSMENT_MAX
        ? `${answer.text.slice(0, ASSESSMENT_MAX)}\n\n(cut: the agent answered ${answer.text.length} characters)`
        : answer.text
    attempts = answer.attempts
    costUsd = answer.cost.usd
  } else {
    assessor = 'rigor:rules-of-thumb'
    const m = verdict.metrics
    // the reason may quote the runner (an artifact name it declared): as text, not markdown, in learnings.md
    const notes: string[] = [`${verdict.status} (${markdownText(verdict.reason ?? verdict.decided_by)}).`]
    if (m.is_sharpe !== undefined && m.sharpe !== undefined && m.is_sharpe > 2 * Math.max(m.sharpe, 0.1))
      notes.push(`In-sample Sharpe ${m.is_sharpe.toFixed(2)} is far above out-of-sample ${m.sharpe.toFixed(2)}: likely overfit.`)
    if (m.sharpe_std !== undefined && m.sharpe_mean !== undefined && m.sharpe_std > Math.abs(m.sharpe_mean))
      notes.push('The edge is unstable across folds.')
    if (m.gross_sharpe !== undefined && m.sharpe !== undefined && m.gross_sharpe - m.sharpe > 0.3)
      notes.push('Costs eat much of the edge: trade less.')
    if (notes.length === 1) notes.push('Nothing suspicious in the metrics; audit it before trusting it.')
    assessment = notes.join(' ')
  }
  // the agent's answer (which the runner's notes in its prompt may steer) is text in learnings.md: no line of it can start
  // another entry's heading, open a comment or a fence that hides every later entry on GitHub, or load an image
  const text = agent ? assessment.trim().split('\n').map(markdownText).join('\n') : assessment.trim()
  const entry = `\n## ${id} (${new Date().toISOString().slice(0, 10)}, ${assessor})\n\n${text}\n`
  await ws.commit(async (s) => {
    // the committed learnings only: a user's uncommitted edit of the file is theirs to commit
    const current = s.commit ? ((await ws.repo.readFileAt(s.commit, LEARNINGS_FILE))?.toString('utf8') ?? '') : ''
    // rigor's own assessment is the same for the same verdict: asked again (a retry, a resumed cycle), it would only
    // repeat an entry; an agent's is a new judgement each time and is kept
    if (!agent && sameEntry(current, id, assessor, text))
      throw new NothingToDoError(`${LEARNINGS_FILE} already holds this assessment of ${id}`, 'already_assessed')
    const updated =
      (current || '# Learnings\n\nWhat assessments of verdicts taught the research so far; `rigor design` reads it.\n') + entry
    return {
      files: new Map([[LEARNINGS_FILE, updated]]),
      message: {action: 'assess', subject: `assess ${id}`, nodes: [id], worker: assessor},
      result: undefined,
    }
  })
  return {node: id, assessor, assessment, attempts, cost_usd: costUsd}
}

/** Whether `learnings` has an entry for `id` by `assessor` saying `text`, of any date (entries: `\n## <id> (<date>, <assessor>)\n\n<text>\n`). */
function sameEntry(learnings: string, id: string, assessor: string, text: string): boolean {
  return learnings.split('\n## ').some((entry) => entry.startsWith(`${id} (`) && entry.endsWith(`, ${assessor})\n\n${text}\n`))
}

/** A node with no verdict to assess, with what to do for its status: `rigor work` never runs a cancelled or blocked node. */
function noVerdictError(node: NodeFile): InputError {
  if (node.status === 'pending')
    return new InputError(`node ${node.id} has no verdict yet`, {fix: `run it first (rigor work, or rigor run ${node.id}), then assess it`})
  if (node.status === 'running')
    return new InputError(`node ${node.id} has no verdict yet`, {fix: `wait for its verdict (rigor show ${node.id}), then assess it`})
  if (node.status === 'cancelled' || node.status === 'blocked')
    return new InputError(`node ${node.id} has no verdict: it was ${node.status} before it ran`, {
      fix: `there is nothing to assess; rigor rerun ${node.id} puts it back to pending, to run it`,
    })
  // a finished run whose verdict.yaml left the branch (a hand commit)
  return new InputError(`node ${node.id} is ${node.status} but ${verdictFilePath(node.id)} is missing`, {
    file: verdictFilePath(node.id),
    fix: `restore it from the git history (rigor verify), or run it again: rigor rerun ${node.id}`,
  })
}
