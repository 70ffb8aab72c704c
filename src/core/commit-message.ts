export const RIGOR_ACTIONS = [
  'init',
  'seed',
  'claim',
  'renew',
  'release',
  'verdict',
  'spawn',
  'block',
  'cancel',
  'requeue',
  'audit',
  'handoff',
  'deploy',
  'rollback',
  'paper',
  'rank',
  'report',
  'design',
  'assess',
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

/** `rigor: <subject>` and the Rigor-* trailers that `rigor log` reads back. */
export function formatCommitMessage(m: CommitMessage): string {
  const trailers = [`Rigor-Action: ${m.action}`]
  for (const id of m.nodes ?? []) trailers.push(`Rigor-Node: ${id}`)
  if (m.worker) trailers.push(`Rigor-Worker: ${m.worker}`)
  for (const [k, v] of Object.entries(m.trailers ?? {})) trailers.push(`Rigor-${k}: ${v.replace(/\n/g, ' ')}`)
  const body = m.body ? `${m.body.trim()}\n\n` : ''
  return `rigor: ${m.subject.replace(/\n/g, ' ')}\n\n${body}${trailers.join('\n')}\n`
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
