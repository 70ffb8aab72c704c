import {parse} from '@marcbachmann/cel-js'

/** One node of cel-js's syntax tree: an operator and its operands (a node, a list of them, or a value). */
interface CelNode {
  op: string
  args: unknown
}

const isNode = (x: unknown): x is CelNode => typeof x === 'object' && x !== null && 'op' in x && 'args' in x
const operands = (node: CelNode): unknown[] => (Array.isArray(node.args) ? node.args : [node.args])

/** `metrics.x` or `metrics["x"]`: the metric's name. */
function metricName(node: unknown): string | undefined {
  if (!isNode(node) || (node.op !== '.' && node.op !== '[]')) return undefined
  const [target, key] = operands(node)
  if (!isNode(target) || target.op !== 'id' || target.args !== 'metrics') return undefined
  const name = isNode(key) ? (key.op === 'value' ? key.args : undefined) : key
  return typeof name === 'string' ? name : undefined
}

/** A number written in the condition (`0.3`, `2`, `-0.5`). */
function isNumber(node: unknown): boolean {
  if (!isNode(node)) return false
  if (node.op === '-_') return isNumber(node.args)
  return node.op === 'value' && (typeof node.args === 'number' || typeof node.args === 'bigint')
}

const ASKS_MORE: Record<string, boolean> = {'>': true, '>=': true, '<': false, '<=': false}

/**
 * The metrics a CEL condition compares with a number, in the order written, and
 * whether each asks for more (`metrics.x > 1`, `0.2 < metrics.x`) or less. Read
 * from the parsed condition, not its text: a comparison under a `!` asks for the
 * opposite (`!(metrics.max_drawdown > 0.3)` asks for less drawdown). A condition
 * that does not parse compares nothing here (loading the config refuses it).
 */
export function comparedMetrics(condition: string): Array<{metric: string; higherIsBetter: boolean}> {
  let root: unknown
  try {
    root = parse(condition).ast
  } catch {
    return []
  }
  const found: Array<{metric: string; higherIsBetter: boolean}> = []
  const walk = (node: unknown, negated: boolean): void => {
    if (!isNode(node)) return
    if (node.op === '!_') {
      walk(node.args, !negated)
      return
    }
    const more = ASKS_MORE[node.op]
    if (more !== undefined) {
      const [left, right] = operands(node)
      const metricLeft = metricName(left)
      const metricRight = metricName(right)
      if (metricLeft && isNumber(right)) found.push({metric: metricLeft, higherIsBetter: more !== negated})
      else if (metricRight && isNumber(left)) found.push({metric: metricRight, higherIsBetter: !more !== negated})
    }
    for (const operand of operands(node)) walk(operand, negated)
  }
  walk(root, false)
  return found
}
