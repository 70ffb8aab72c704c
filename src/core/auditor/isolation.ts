import type {NodeFile} from '../schemas/index.js'

/**
 * The identity behind a name recorded on a node: `agent:<program>` (a designer
 * agent, recorded by `rigor design`) is the program's name, so an auditor named
 * after that agent is caught; other names compare as they are, case-folded.
 */
export function identityOf(name: string | undefined): string | undefined {
  if (!name) return undefined
  const agent = /^agent:(.+)$/.exec(name)
  const base = agent
    ? agent[1]!
        .split(/[\\/]/)
        .pop()!
        .replace(/\.(c|m)?js$/, '')
    : name
  return base.toLowerCase()
}

/**
 * Why `auditor` may not audit `node`, or undefined: an auditor must not have
 * run it (its verdict's worker), seeded it, or designed it (an agent designer
 * counts). Checked when the audit is made and again by the deploy gate, which
 * must not trust what an audit file says about itself.
 */
export function independenceProblem(
  node: Pick<NodeFile, 'seeded_by' | 'designed_by'>,
  worker: string | undefined,
  auditor: string,
): string | undefined {
  const who = identityOf(auditor)
  if (who === identityOf(worker)) return `${auditor} ran this node (its verdict's worker)`
  if (who === identityOf(node.seeded_by)) return `${auditor} seeded this node`
  if (who === identityOf(node.designed_by)) return `${auditor} designed this node (${node.designed_by})`
  return undefined
}
