import {readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {sampleNames} from '../../src/core/views/exposition.js'
import {METRIC_DEFS} from '../../src/core/views/metrics.js'

/**
 * templates/grafana/rigor.json: it parses, and every query names only metrics
 * `rigor metrics` exports (the list comes from the metrics module itself).
 * test/integration/prometheus.test.ts runs every query against a real Prometheus.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..')
const dashboard = JSON.parse(readFileSync(join(ROOT, 'templates/grafana/rigor.json'), 'utf8'))
const exported = new Set(METRIC_DEFS.flatMap(sampleNames))
const targets: Array<{panel: string; expr: string; datasource: {uid: string}}> = dashboard.panels.flatMap((p: any) =>
  (p.targets ?? []).map((t: any) => ({panel: p.title, expr: t.expr, datasource: t.datasource})),
)

describe('the Grafana dashboard', () => {
  it('is a dashboard with a Prometheus data source variable that every panel and query uses', () => {
    expect(dashboard.uid).toBe('rigor-research')
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({name: 'datasource', type: 'datasource', query: 'prometheus'}))
    expect(targets.length).toBeGreaterThan(20)
    for (const t of targets) expect(t.datasource.uid, t.panel).toBe('${datasource}')
    const ids = dashboard.panels.map((p: any) => p.id)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('every query names at least one metric, and only metrics rigor metrics exports', () => {
    const used = new Set<string>()
    for (const {panel, expr} of targets) {
      // label values are strings: "rigor_x" inside quotes is not a metric
      const names = expr.replace(/"[^"]*"/g, '""').match(/\brigor_[a-z0-9_]+\b/g) ?? []
      expect(names.length, `${panel}: ${expr}`).toBeGreaterThan(0)
      for (const name of names) {
        expect(exported.has(name), `${panel}: ${name} is not a metric rigor exports`).toBe(true)
        used.add(name)
      }
    }
    // the dashboard shows every family rigor exports (one of a histogram's series is enough)
    const unused = METRIC_DEFS.filter((d) => !sampleNames(d).some((n) => used.has(n))).map((d) => d.name)
    expect(unused).toEqual([])
  })

  it('the check itself catches a metric rigor does not export', () => {
    expect(exported.has('rigor_nodes')).toBe(true)
    expect(exported.has('rigor_run_duration_seconds_bucket')).toBe(true)
    expect(exported.has('rigor_nodes_total')).toBe(false)
  })
})
