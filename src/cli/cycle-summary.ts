import type {CycleResult} from '../core/flows/cycle.js'
import type {CycleListing} from '../core/flows/cycle-records.js'
import type {CycleStepRecord} from '../core/schemas/index.js'
import {renderTable} from './table.js'

const usd = (value: number): string => `$${value.toFixed(2)}`

/** One line about what a step did or why it did not end well. */
export function stepDetail(step: Omit<CycleStepRecord, 'result' | 'done_nodes'>, result: CycleResult): string {
  if (step.status === 'failed' || step.status === 'stopped')
    return `${step.error ?? step.reason ?? ''}${step.fix ? ` (fix: ${step.fix})` : ''}`
  if (step.status === 'blocked') return step.reason ?? ''
  if (step.status !== 'succeeded') return ''
  switch (step.name) {
    case 'design':
      return result.design ? `${result.design.designer} seeded ${result.design.seeded.length}` : ''
    case 'work':
      return result.work ? `finished ${result.work.finished} of ${result.work.claimed} claimed (${result.work.stopped_because})` : ''
    case 'assess':
      return result.assess ? `assessed ${result.assess.assessed.length} new verdict(s)` : ''
    case 'audit':
      return result.audit ? `audited ${result.audit.length}` : ''
    case 'rank':
      if (result.rank?.nothing_to_rank) return `nothing to rank: ${result.rank.nothing_to_rank.why}`
      return result.rank ? `by ${result.rank.metric} (${result.rank.source}): kept ${result.rank.kept.length}` : ''
    case 'report':
      return result.report ? `${result.report.files.join(', ')} (health ${result.report.health_score}/100)` : ''
  }
}

/** The end of `rigor cycle`: the outcome and a row per step. */
export function cycleSummary(result: CycleResult, exitCode: number): string {
  // a cancelled or interrupted cycle leaves with its signal's code, which withAbort sets afterwards
  const signalled = result.outcome === 'cancelled' || result.outcome === 'interrupted'
  const resumable = result.outcome === 'interrupted' ? '; the next `rigor cycle` resumes it' : ''
  const head = `cycle ${result.id}: ${result.outcome}${signalled ? '' : ` (exit ${exitCode})`}, cost ${usd(result.cost_usd)}${resumable}`
  const rows = result.steps.map((s) => [s.name, s.status, s.attempts, usd(s.cost_usd), stepDetail(s, result)])
  return `${head}\n${renderTable(['step', 'outcome', 'attempts', 'cost', 'detail'], rows)}`
}

/** `rigor cycle list`: a row per cycle, its steps as name:status. */
export function cycleListTable(cycles: CycleListing[]): string {
  return renderTable(
    ['id', 'started', 'steps', 'outcome', 'cost'],
    cycles.map((c) => [c.id, c.started_at, c.steps.map((s) => `${s.name}:${s.status}`).join(' '), c.outcome, usd(c.cost_usd)]),
  )
}
