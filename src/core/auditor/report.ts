import type {AuditCheck, AuditIssue} from '../schemas/index.js'

/** An equity curve as a small SVG, so the report renders its chart in a pull request. */
export function equityCurveSvg(returns: Array<[string, number]>, title: string): string {
  const width = 640
  const height = 240
  const pad = 32
  let equity = 1
  const points = returns.map(([, r]) => (equity *= 1 + r))
  const min = Math.min(1, ...points)
  const max = Math.max(1, ...points)
  const x = (i: number) => pad + (i / Math.max(1, points.length - 1)) * (width - 2 * pad)
  const y = (v: number) => height - pad - ((v - min) / (max - min || 1)) * (height - 2 * pad)
  const path = points.map((v, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')
  const first = returns[0]?.[0] ?? ''
  const last = returns[returns.length - 1]?.[0] ?? ''
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${pad}" y="18" font-size="13">${escapeXml(title)}</text>`,
    `<line x1="${pad}" y1="${y(1).toFixed(1)}" x2="${width - pad}" y2="${y(1).toFixed(1)}" stroke="#bbbbbb" stroke-dasharray="4 3"/>`,
    `<path d="${path}" fill="none" stroke="#1f6feb" stroke-width="1.5"/>`,
    `<text x="${pad}" y="${height - 10}">${first}</text>`,
    `<text x="${width - pad}" y="${height - 10}" text-anchor="end">${last}</text>`,
    `<text x="${width - pad}" y="18" text-anchor="end">equity ${points.length ? points[points.length - 1]!.toFixed(2) : '1.00'}x (min ${min.toFixed(2)}, max ${max.toFixed(2)})</text>`,
    '</svg>',
    '',
  ].join('\n')
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

const figureText = (figures: Record<string, unknown>): string =>
  Object.entries(figures)
    .filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => `${k} ${typeof v === 'number' ? Number(v.toPrecision(4)) : Array.isArray(v) ? v.map((n) => (typeof n === 'number' ? Number(n.toPrecision(3)) : n)).join('/') : String(v)}`)
    .join('; ')

/** The readable body of an audit report, for pull-request review. */
export function auditBody(input: {id: string; verdict: 'PASS' | 'FAIL'; auditor: string; checks: AuditCheck[]; issues: AuditIssue[]; chart: string}): string {
  const failed = input.checks.filter((c) => c.result === 'fail').map((c) => c.name)
  const lines = [
    `# Audit of ${input.id}: ${input.verdict}`,
    '',
    input.verdict === 'PASS'
      ? `Independent audit by ${input.auditor}: every check passed or was skipped with a reason.`
      : `Independent audit by ${input.auditor}: ${failed.length} check(s) failed (${failed.join(', ')}). Do not deploy until the issues below are fixed and a new audit passes.`,
    '',
    '## Checks',
    '',
    '| check | result | figures | threshold |',
    '|---|---|---|---|',
    ...input.checks.map(
      (c) => `| ${c.name} | ${c.result === 'fail' ? '**fail**' : c.result} | ${c.reason ? `${c.reason}` : figureText(c.figures)} | ${c.threshold ? figureText(c.threshold) : ''} |`,
    ),
    '',
    '## Issues',
    '',
    ...(input.issues.length
      ? input.issues.flatMap((i) => [`### ${i.id} (${i.severity}, ${i.category})`, '', i.description, '', `Where: ${i.location}.`, '', `Remediation: ${i.remediation}.`, ''])
      : ['None.', '']),
    '## Equity curve (out of sample)',
    '',
    `![equity curve](${input.chart})`,
  ]
  return lines.join('\n')
}
