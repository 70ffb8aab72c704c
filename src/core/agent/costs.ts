import {dumpStateDocument} from '../state/documents.js'
import {nowIso} from '../state/node-files.js'
import type {Cost} from '../schemas/index.js'
import type {Workspace} from '../state/workspace.js'

export const AGENT_CALLS_DIR = 'reports/agent-calls'

/**
 * Every agent call leaves a checksummed record (what it cost, how many attempts,
 * why the failed ones failed) under reports/agent-calls/, which the budget counts.
 */
export async function recordAgentCall(
  ws: Workspace,
  call: {kind: 'design' | 'assess'; agent: string; cost: Cost; attempts: number; failures: string[]; node?: string},
): Promise<string> {
  const at = new Date()
  const file = `${AGENT_CALLS_DIR}/${nowIso(at).replace(/[:.]/g, '-')}-${call.kind}-${process.pid}.yaml`
  await ws.commit(async () => ({
    files: new Map([[file, dumpStateDocument({...call, called_at: nowIso(at)})]]),
    message: {
      action: call.kind,
      subject: `${call.kind} by ${call.agent}: ${call.attempts} attempt(s), $${call.cost.usd.toFixed(4)}`,
      nodes: call.node ? [call.node] : [],
      trailers: {Attempts: String(call.attempts), 'Cost-Usd': String(call.cost.usd)},
    },
    result: undefined,
  }))
  return file
}

/** What the agent calls of one UTC day cost, from their records at the state tip. */
export async function agentSpend(ws: Workspace, commit: string | undefined, day: string): Promise<number> {
  if (!commit) return 0
  const listing = await ws.repo.git(['ls-tree', '--name-only', `${commit}:${AGENT_CALLS_DIR}`], {allowFailure: true})
  if (listing.exitCode !== 0) return 0
  let total = 0
  for (const name of listing.stdout.split('\n').filter((n) => n.startsWith(day))) {
    const text = (await ws.repo.readFileAt(commit, `${AGENT_CALLS_DIR}/${name}`))?.toString('utf8') ?? ''
    const usd = /^\s*usd: ([0-9.eE+-]+)/m.exec(text)?.[1]
    total += usd ? Number(usd) : 0
  }
  return total
}
