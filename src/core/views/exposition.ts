/**
 * The Prometheus text exposition format (version 0.0.4), written by hand: the
 * format is small, and rigor's metrics are computed from the state in one go,
 * not accumulated in a registry. `promtool check metrics` checks what this
 * writes (test/integration/metrics.test.ts).
 */

export type MetricType = 'counter' | 'gauge' | 'histogram'

export interface MetricDef {
  /** the family's name: counters end in _total, histograms are named by their unit */
  name: string
  type: MetricType
  help: string
  labels: readonly string[]
  /** a histogram's upper bounds, ascending (+Inf is added) */
  buckets?: readonly number[]
}

export type Labels = Record<string, string>

/** One series: a counter's or gauge's value, or a histogram's observations. */
export type Series = {labels: Labels; value: number} | {labels: Labels; observations: Histogram}

export interface Histogram {
  /** how many observations fell at or below each bound of the def's buckets (not cumulative) */
  perBucket: number[]
  /** observations above the last bound */
  over: number
  sum: number
}

export interface MetricFamily {
  def: MetricDef
  series: Series[]
}

/** One line of the exposition, as `rigor metrics --json` prints it. */
export interface Sample {
  name: string
  labels: Labels
  value: number
}

/** The sample names a family exposes: a histogram's _bucket, _sum and _count, the family's own name otherwise. */
export function sampleNames(def: MetricDef): string[] {
  return def.type === 'histogram' ? [`${def.name}_bucket`, `${def.name}_sum`, `${def.name}_count`] : [def.name]
}

export function emptyHistogram(def: MetricDef): Histogram {
  return {perBucket: (def.buckets ?? []).map(() => 0), over: 0, sum: 0}
}

export function observe(def: MetricDef, histogram: Histogram, value: number): void {
  const index = (def.buckets ?? []).findIndex((bound) => value <= bound)
  if (index === -1) histogram.over++
  else histogram.perBucket[index]!++
  histogram.sum += value
}

/** Every sample of a family, in the order the exposition lists them. */
export function samplesOf(family: MetricFamily): Sample[] {
  const {def} = family
  const out: Sample[] = []
  for (const series of family.series) {
    if ('value' in series) {
      out.push({name: def.name, labels: series.labels, value: series.value})
      continue
    }
    const {perBucket, over, sum} = series.observations
    let cumulative = 0
    ;(def.buckets ?? []).forEach((bound, i) => {
      cumulative += perBucket[i]!
      out.push({name: `${def.name}_bucket`, labels: {...series.labels, le: formatValue(bound)}, value: cumulative})
    })
    const count = cumulative + over
    out.push({name: `${def.name}_bucket`, labels: {...series.labels, le: '+Inf'}, value: count})
    out.push({name: `${def.name}_sum`, labels: series.labels, value: sum})
    out.push({name: `${def.name}_count`, labels: series.labels, value: count})
  }
  return out
}

/** The families as Prometheus text: # HELP, # TYPE, then the samples. */
export function renderExposition(families: MetricFamily[]): string {
  const lines: string[] = []
  for (const family of families) {
    lines.push(`# HELP ${family.def.name} ${escapeHelp(family.def.help)}`)
    lines.push(`# TYPE ${family.def.name} ${family.def.type}`)
    for (const sample of samplesOf(family)) lines.push(`${sample.name}${renderLabels(sample.labels)} ${formatValue(sample.value)}`)
  }
  return `${lines.join('\n')}\n`
}

function renderLabels(labels: Labels): string {
  const entries = Object.entries(labels)
  if (entries.length === 0) return ''
  return `{${entries.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',')}}`
}

/** Label values escape backslash, double quote and line feed; help text escapes backslash and line feed. */
export const escapeLabelValue = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
const escapeHelp = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')

/** Numbers as Prometheus reads them: +Inf, -Inf and NaN by name, others in JavaScript's shortest exact form. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  if (value === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(value)
}
