import {nodeIdProblem, singleLineProblem, workerNameProblem} from '../validation.js'
import {InternalError} from '../errors.js'

export const RIGOR_ACTIONS = [
  'init',
  'seed',
  'claim',
  'renew',
  'release',
  'verdict',
  'spawn',
  'cancel',
  'rerun',
  'requeue',
  'audit',
  'holdout',
  'handoff',
  'deploy',
  'rollback',
  'paper',
  'rank',
  'report',
  'design',
  'assess',
  'reserve',
] as const
export type RigorAction = (typeof RIGOR_ACTIONS)[number]

export interface CommitMessage {
  action: RigorAction
  subject: string
  nodes?: string[]
  worker?: string
  trailers?: Record<string, string>
  body?: string
}

/**
 * `rigor: <subject>` and the Rigor-* trailers that `rigor log` reads back. Every
 * value was validated where it came in (see validation.ts); this is the last line
 * of defence, so a value that would start a forged line is refused, never written.
 */
export function formatCommitMessage(m: CommitMessage): string {
  const line = (what: string, value: string): string => {
    const problem = singleLineProblem(value, 4000)
    if (problem) throw new InternalError(`refusing to write ${what} into a commit message: ${problem}`)
    return value
  }
  const trailers = [`Rigor-Action: ${m.action}`]
  for (const id of m.nodes ?? []) {
    const problem = nodeIdProblem(id)
    if (problem) throw new InternalError(`refusing to write Rigor-Node into a commit message: ${problem}`)
    trailers.push(`Rigor-Node: ${id}`)
  }
  if (m.worker) {
    const problem = workerNameProblem(m.worker)
    if (problem) throw new InternalError(`refusing to write Rigor-Worker into a commit message: ${problem}`)
    trailers.push(`Rigor-Worker: ${m.worker}`)
  }
  for (const [k, v] of Object.entries(m.trailers ?? {})) {
    if (!/^[A-Za-z][A-Za-z-]*$/.test(k)) throw new InternalError(`refusing to write the trailer key "${k}"`)
    trailers.push(`Rigor-${k}: ${line(`Rigor-${k}`, v.replace(/\n/g, ' '))}`)
  }
  // a body is free text, but a line of it must not pass for one of rigor's trailers
  const body = m.body ? `${m.body.trim().replace(/^(Rigor-[A-Za-z-]+:)/gm, ' $1')}\n\n` : ''
  return `rigor: ${line('the subject', m.subject.replace(/\n/g, ' '))}\n\n${body}${trailers.join('\n')}\n`
}

export interface ParsedTrailers {
  action?: string
  nodes: string[]
  worker?: string
  other: Record<string, string>
}

export function parseTrailers(message: string): ParsedTrailers {
  const out: ParsedTrailers = {nodes: [], other: {}}
  for (const line of message.split('\n')) {
    const match = /^Rigor-([A-Za-z-]+): (.*)$/.exec(line)
    if (!match) continue
    const [, key, value] = match
    if (key === 'Action') out.action = value
    else if (key === 'Node') out.nodes.push(value!)
    else if (key === 'Worker') out.worker = value
    else out.other[key!.toLowerCase()] = value!
  }
  return out
}
