import type {AuditCheck, AuditIssue, AuditRecord} from '../schemas/index.js'
import {markdownCell, markdownText} from '../state/markdown-text.js'

/**
 * The readable body of an audit report, for pull-request review: the verdict
 * in its first lines, every figure with its unit, integers as integers. Every
 * text that is not rigor's own words goes through markdownText / markdownCell.
 */

const UNIT_SUFFIXES: Array<[string, string]> = [
  ['_annualised', 'annualised'],
  ['_per_period', 'per period'],
  ['_bps', 'bps'],
]

/** `sharpe_at_costs_annualised` -> `sharpe at costs (annualised)`, `cost_bps` -> `cost (bps)`. */
export function figureLabel(name: string): string {
  for (const [suffix, unit] of UNIT_SUFFIXES)
    if (name.endsWith(suffix)) return `${name.slice(0, -suffix.length).replace(/_/g, ' ')} (${unit})`
  if (name === 'n_obs') return 'observations (periods)'
  return name.replace(/_/g, ' ')
}

/** Integers as integers, probabilities and ratios to 3 significant places, tiny numbers in exponent form. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  if (Number.isInteger(value)) return String(value)
  const abs = Math.abs(value)
  if (abs >= 1000) return value.toFixed(0)
  if (abs >= 0.01) return String(Number(value.toPrecision(3)))
  return value.toExponential(1)
}

const formatValue = (value: unknown): string =>
  typeof value === 'number' ? formatNumber(value) : Array.isArray(value) ? value.map(formatValue).join(' / ') : String(value)

export const figureText = (figures: Record<string, unknown>): string =>
  Object.entries(figures)
    .filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => `${figureLabel(k)}: ${formatValue(v)}`)
    .join('; ')

const RESULT_TEXT: Record<AuditCheck['result'], string> = {
  pass: 'pass',
  fail: '**fail**',
  skipped: 'skipped',
  error: '**error** (not a finding)',
  info: 'reported',
}

/** One sentence that says why the verdict is what it is. */
export function verdictSentence(checks: AuditCheck[], issues: AuditIssue[]): string {
  const failed = checks.filter((c) => c.result === 'fail').map((c) => c.name)
  const errors = checks.filter((c) => c.result === 'error').map((c) => c.name)
  const blocking = issues.filter((i) => i.severity !== 'minor')
  if (failed.length === 0 && errors.length === 0 && blocking.length === 0)
    return 'every check passed, was reported or was skipped with a reason, and no critical or major issue is open.'
  const parts = [
    failed.length ? `${failed.length} check(s) failed (${failed.join(', ')})` : '',
    errors.length
      ? `${errors.length} check(s) could not run (${errors.join(', ')}): the audit is incomplete, which is not a finding about the strategy`
      : '',
    !failed.length && !errors.length ? `${blocking.length} open issue(s) need attention (${blocking.map((i) => i.id).join(', ')})` : '',
  ]
  return `${parts.filter(Boolean).join('; ')}. Do not deploy until the issues below are resolved and a new audit passes.`
}

export function auditBody(record: Omit<AuditRecord, 'checksum'>, files: {chart: string; details: string}): string {
  const {checks, issues} = record
  const lines = [
    `# Audit of ${record.covers.node}: ${record.verdict}`,
    '',
    `**${record.verdict}**: ${verdictSentence(checks, issues)}`,
    '',
    `Independent audit by ${record.auditor} at ${record.audited_at} of state commit \`${record.covers.commit.slice(0, 12)}\`.` +
      (record.family ? ` Family for DSR and PBO: ${markdownText(record.family.counted)}.` : ''),
    '',
    '## Checks',
    '',
    '| check | result | figures | threshold |',
    '|---|---|---|---|',
    ...checks.map(
      (c) =>
        `| ${markdownCell(c.name)} | ${RESULT_TEXT[c.result]} | ${markdownCell([c.reason, figureText(c.figures)].filter(Boolean).join('. '))} | ${c.threshold ? markdownCell(figureText(c.threshold)) : ''} |`,
    ),
    '',
    "Sharpe ratios are annualised at the audit's periods per year unless marked per period; p-values and DSR are probabilities.",
    '',
    '## Issues',
    '',
    ...(issues.length
      ? issues.flatMap((i) => [
          `### ${i.id} (${i.severity}, ${i.category})`,
          '',
          markdownText(i.description),
          '',
          `Where: ${markdownText(i.location)}.`,
          '',
          `Remediation: ${markdownText(i.remediation)}.`,
          '',
        ])
      : ['None.', '']),
    '## Holdout',
    '',
    record.holdout
      ? markdownText(record.holdout.summary)
      : 'No holdout is configured: the audit scored the same window the research selected on.',
    '',
    '## Equity curve (out of sample)',
    '',
    `![equity curve and drawdown](${files.chart})`,
    '',
    `Every figure, threshold and issue is also in [${files.details}](${files.details}) (checksummed).`,
  ]
  return lines.join('\n')
}
