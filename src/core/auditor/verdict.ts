import type {AuditCheck, AuditIssue} from '../schemas/index.js'
import {accountingCheck} from './checks/accounting.js'
import type {CheckContext, CheckOutcome} from './checks/context.js'
import {truncationCheck} from './checks/lookahead.js'
import {permutationCheck} from './checks/leakage.js'
import {dsrCheck, pboCheck} from './checks/overfitting.js'
import {costsCheck, seedsCheck} from './checks/robustness.js'

/** A node that never traded: every committed position is 0 (or, without positions, every return is). */
function neverTraded(positions: Map<string, number>, returns: Map<string, number>): string | undefined {
  if (positions.size > 0)
    return [...positions.values()].every((p) => p === 0) ? `every one of its ${positions.size} positions is 0` : undefined
  return [...returns.values()].every((r) => r === 0) ? `every one of its ${returns.size} returns is 0` : undefined
}

const CHECK_NAMES = [
  'accounting.consistency',
  'lookahead.truncation',
  'leakage.permutation',
  'overfitting.dsr',
  'overfitting.pbo',
  'robustness.costs',
  'robustness.seeds',
]

/**
 * Every check, in report order: accounting first, since the overfitting and
 * cost checks trust the returns it verifies. A node that never traded has no edge
 * to test: every check is skipped with that reason and one major issue says so.
 */
export async function runChecks(ctx: CheckContext): Promise<CheckOutcome[]> {
  const idle = neverTraded(ctx.positions, ctx.returns)
  if (idle) {
    const reason = `the strategy never traded (${idle}): there is no edge to test`
    return CHECK_NAMES.map((name, i) => ({
      check: {name, result: 'skipped' as const, figures: {}, reason},
      issues:
        i === 0
          ? [
              {
                severity: 'major' as const,
                category: 'other' as const,
                description: `${reason}; an audit cannot pass a strategy that never took a position`,
                location: 'positions.csv and returns.csv of the runner',
                remediation: "check the strategy's parameters and data (a lookback longer than the history, a threshold never reached)",
              },
            ]
          : [],
    }))
  }
  return [
    accountingCheck(ctx),
    await truncationCheck(ctx),
    await permutationCheck(ctx),
    dsrCheck(ctx),
    pboCheck(ctx),
    await costsCheck(ctx),
    await seedsCheck(ctx),
  ]
}

/** PASS only when no check failed or could not run and no critical or major issue is open. */
export function decideVerdict(checks: AuditCheck[], issues: AuditIssue[]): 'PASS' | 'FAIL' {
  const clean = checks.every((c) => c.result !== 'fail' && c.result !== 'error') && issues.every((i) => i.severity === 'minor')
  return clean ? 'PASS' : 'FAIL'
}

export function summaryOf(checks: AuditCheck[], issues: AuditIssue[]): string {
  const count = (r: AuditCheck['result']) => checks.filter((c) => c.result === r).length
  const parts = (['pass', 'fail', 'error', 'skipped', 'info'] as const)
    .filter((r) => count(r) > 0)
    .map((r) => `${count(r)} ${r === 'info' ? 'reported' : r}`)
  const open = issues.filter((i) => i.severity !== 'minor').length
  return `${checks.length} checks: ${parts.join(', ')}; ${open} open critical/major issue(s)`
}
