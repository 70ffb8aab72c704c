import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {mersenne, unsafeUniformIntDistribution} from 'pure-rand'

/** Price series made in the test: i.i.d. normal daily returns (seeded), with optional extra structure. */
export function pricesCsv(opts: {
  rows: number
  seed: number
  drift?: number
  vol?: number
  /** day t's volatility instead of `vol`: e.g. a clustered path (stochastic volatility) */
  volOf?: (t: number) => number
  /** added to day t's return: e.g. an alternating component a * (-1)^t */
  extra?: (t: number) => number
  header?: string[]
  date?: (t: number) => string
}): string {
  const rng = mersenne(opts.seed)
  const uniform = () => (unsafeUniformIntDistribution(1, 2 ** 30, rng) - 0.5) / 2 ** 30
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform())
  const header = opts.header ?? ['date', 'open', 'high', 'low', 'close']
  const day = (t: number) => new Date(Date.UTC(2010, 0, 4) + t * 86_400_000).toISOString().slice(0, 10)
  const lines = [header.join(',')]
  let close = 100
  for (let t = 0; t < opts.rows; t++) {
    const r = t === 0 ? 0 : (opts.drift ?? 0) + (opts.volOf?.(t) ?? opts.vol ?? 0.01) * normal() + (opts.extra?.(t) ?? 0)
    const previous = close
    close = previous * (1 + r)
    const open = previous * (1 + 0.3 * (close / previous - 1) + 0.001 * normal())
    const cells: Record<string, string> = {
      date: (opts.date ?? day)(t),
      timestamp: (opts.date ?? day)(t),
      open: open.toFixed(6),
      high: (Math.max(open, close) * 1.002).toFixed(6),
      low: (Math.min(open, close) * 0.998).toFixed(6),
      close: close.toFixed(6),
      last: close.toFixed(6),
      'adj close': (close * 0.9).toFixed(6),
      volume: '1000',
    }
    lines.push(header.map((h) => cells[h.toLowerCase()] ?? '0').join(','))
  }
  return `${lines.join('\n')}\n`
}

/**
 * A runner script written into the test repo: reads RIGOR_DATA (any header
 * case), computes `pos` with the given JavaScript body (it sees dates, open,
 * close, ret, params, seed, data, rows), earns close-to-close returns at
 * params.cost_bps (times RIGOR_COST_MULTIPLIER), reports the last 80% of
 * periods and declares the close_to_close convention. `report` may rewrite the
 * reported returns (`net` -> what returns.csv says).
 */
export function writeRunner(dir: string, name: string, body: string, report = 'net'): string {
  const file = join(dir, `${name}.mjs`)
  writeFileSync(
    file,
    `import {readFileSync, writeFileSync} from 'node:fs'
const data = readFileSync(process.env.RIGOR_DATA, 'utf8')
const lines = data.trim().split('\\n')
const header = lines[0].split(',').map((h) => h.trim().toLowerCase())
const rows = lines.slice(1).map((l) => l.split(','))
const col = (n) => header.indexOf(n)
const dates = rows.map((r) => r[col('date')])
const params = JSON.parse(process.env.RIGOR_PARAMS || '{}')
const price = params.price_column ?? 'close'
const close = rows.map((r) => Number(r[col(price)]))
const open = col('open') >= 0 ? rows.map((r) => Number(r[col('open')])) : close
const seed = Number(process.env.RIGOR_SEED || 0)
const cost = (params.cost_bps ?? 5) * Number(process.env.RIGOR_COST_MULTIPLIER || 1)
const ret = close.map((c, i) => (i === 0 ? 0 : c / close[i - 1] - 1))
const pos = (() => { ${body} })()
const net = ret.map((r, t) => (t === 0 ? 0 : pos[t - 1] * r - (cost / 1e4) * Math.abs(pos[t - 1] - (t >= 2 ? pos[t - 2] : 0))))
const reported = ${report}
const start = Math.floor(rows.length * 0.2)
const out = process.env.RIGOR_OUT
writeFileSync(out + '/positions.csv', ['date,position', ...dates.map((d, t) => d + ',' + pos[t])].join('\\n') + '\\n')
writeFileSync(out + '/returns.csv', ['date,return', ...dates.slice(start).map((d, i) => d + ',' + reported[start + i])].join('\\n') + '\\n')
const oos = reported.slice(start)
const m = oos.reduce((a, b) => a + b, 0) / oos.length
const sd = Math.sqrt(oos.reduce((a, b) => a + (b - m) ** 2, 0) / (oos.length - 1))
writeFileSync(out + '/verdict.json', JSON.stringify({
  metrics: {sharpe: sd > 0 ? (m / sd) * Math.sqrt(252) : 0},
  artifacts: ['returns.csv', 'positions.csv'],
  accounting: {convention: 'close_to_close', price, cost_bps: cost},
}))
`,
  )
  return file
}
