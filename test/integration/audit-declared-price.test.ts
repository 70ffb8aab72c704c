import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import type {TempRepo} from '../helpers/git-repo.js'
import {pricesCsv} from './audit-fixtures.js'
import {auditNode, auditWorkspace, check, results, seedAndWork, strategyNode} from './audit-cheats-helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

/** The file with a `vwap` column after the close: the day's typical price, a price the runner may trade at. */
function withVwap(csv: string): string {
  const [header, ...rows] = csv.trimEnd().split('\n')
  const vwap = (row: string) => {
    const [, , high, low, close] = row.split(',').map(Number)
    return ((high! + low! + close!) / 3).toFixed(6)
  }
  return `${[`${header},vwap`, ...rows.map((row) => `${row},${vwap(row)}`)].join('\n')}\n`
}

describe('the auditor alters the price column a runner declares (accounting.price)', () => {
  it('passes an honest strategy on a declared vwap or PX_LAST column, fails one that peeks through it, and says how to fix a file it cannot alter', () => {
    const drift = pricesCsv({rows: 900, seed: 31, drift: 0.0006, vol: 0.01})
    repo = auditWorkspace(
      {
        'vwap.csv': withVwap(drift),
        'bbg.csv': pricesCsv({rows: 900, seed: 32, drift: 0.0006, vol: 0.01, header: ['date', 'close']}).replace(
          /^date,close/,
          'date,PX_LAST',
        ),
        'last.csv': pricesCsv({rows: 400, seed: 33, drift: 0.001, header: ['date', 'last']}),
      },
      '{permutations: 6, seeds: [1]}',
    )
    // long, more of it after a rise over 20 days: honest and long-biased
    const tilt = 'return close.map((c, t) => (t >= 20 && c > close[t - 20] ? 1.5 : 1))'
    // holds 1, but on one day in five takes tomorrow's direction
    const peek = 'return close.map((c, t) => (t + 1 < close.length && t % 5 === 2 ? Math.sign(close[t + 1] - c) || 1 : 1))'
    const returnsOnly = join(repo.dir, 'returns-only.mjs')
    writeFileSync(
      returnsOnly,
      `import {readFileSync, writeFileSync} from 'node:fs'
const rows = readFileSync(process.env.RIGOR_DATA, 'utf8').trim().split('\\n').slice(1).map((l) => l.split(','))
const out = process.env.RIGOR_OUT
writeFileSync(out + '/returns.csv', 'date,return\\n' + rows.slice(1).map((r, i) => r[0] + ',' + (r[1] / rows[i][1] - 1)).join('\\n') + '\\n')
writeFileSync(out + '/verdict.json', JSON.stringify({metrics: {sharpe: 1}, artifacts: ['returns.csv']}))
`,
    )
    repo.git('add', 'returns-only.mjs')
    repo.git('commit', '-qm', 'runner')
    seedAndWork(repo, {
      nodes: [
        strategyNode(repo, 'vwap/tilt', 'vwap.csv', tilt, {params: {price_column: 'vwap'}}),
        strategyNode(repo, 'vwap/peek', 'vwap.csv', peek, {params: {price_column: 'vwap'}}),
        strategyNode(repo, 'bbg/tilt', 'bbg.csv', tilt, {params: {price_column: 'px_last'}}),
        {id: 'odd/last', team: 'default', run: {command: ['node', 'returns-only.mjs']}, data: 'last.csv'},
      ],
    })

    // copies that kept the declared column as it was would give the committed returns on every copy ("did not read
    // RIGOR_DATA"): the column is altered with the others
    const honest = auditNode(repo, 'vwap/tilt')
    expect(results(honest)).toMatchObject({'accounting.consistency': 'pass', 'lookahead.truncation': 'pass', 'leakage.permutation': 'pass'})
    expect(check(auditNode(repo, 'vwap/peek'), 'leakage.permutation').result).toBe('fail')

    // a file whose only price is the declared column returns through it
    const bbg = auditNode(repo, 'bbg/tilt')
    expect(results(bbg)).toMatchObject({'accounting.consistency': 'pass', 'lookahead.truncation': 'pass', 'leakage.permutation': 'pass'})
    expect(check(bbg, 'accounting.consistency').figures.price_column).toMatch(/px_last/i)

    // nothing declared and no close: the copies cannot be made, an error that says what to name the column
    const odd = auditNode(repo, 'odd/last')
    expect(check(odd, 'leakage.permutation').result).toBe('error')
    expect(check(odd, 'leakage.permutation').reason).toMatch(/has no "close" column.*fix: the header must name at least date and close/)
    expect(odd.issues.every((i: any) => i.category !== 'leakage' && i.category !== 'lookahead')).toBe(true)
    expect(odd.verdict).toBe('FAIL')
  })

  it('names the column the committed returns do follow from when it is not the declared (or default) one', () => {
    // dividends: the adjusted close falls 1% behind the close every 50 rows
    const [header, ...rows] = pricesCsv({rows: 500, seed: 34, drift: 0.0005, header: ['date', 'close']})
      .trimEnd()
      .split('\n')
    const adjusted = rows.map(
      (row, t) => `${row},${(Number(row.split(',')[1]) * 0.99 ** Math.floor((rows.length - 1 - t) / 50)).toFixed(6)}`,
    )
    repo = auditWorkspace({'divs.csv': `${[`${header},Adj Close`, ...adjusted].join('\n')}\n`}, '{permutations: 2, seeds: [1]}')
    // prices its positions at the close and declares no price: the default is the adjusted close
    writeFileSync(
      join(repo.dir, 'close.mjs'),
      `import {readFileSync, writeFileSync} from 'node:fs'
const rows = readFileSync(process.env.RIGOR_DATA, 'utf8').trim().split('\\n').slice(1).map((l) => l.split(','))
const close = rows.map((r) => Number(r[1]))
const pos = close.map((c, t) => (t >= 20 && c > close[t - 20] ? 1 : 0))
const ret = close.map((c, t) => (t === 0 ? 0 : pos[t - 1] * (c / close[t - 1] - 1) - 5e-4 * Math.abs(pos[t - 1] - (t >= 2 ? pos[t - 2] : 0))))
const out = process.env.RIGOR_OUT
writeFileSync(out + '/positions.csv', 'date,position\\n' + rows.map((r, t) => r[0] + ',' + pos[t]).join('\\n') + '\\n')
writeFileSync(out + '/returns.csv', 'date,return\\n' + rows.slice(1).map((r, i) => r[0] + ',' + ret[i + 1]).join('\\n') + '\\n')
writeFileSync(out + '/verdict.json', JSON.stringify({metrics: {sharpe: 1}, artifacts: ['returns.csv', 'positions.csv'], accounting: {convention: 'close_to_close', cost_bps: 5}}))
`,
    )
    repo.git('add', 'close.mjs')
    repo.git('commit', '-qm', 'runner')
    seedAndWork(repo, {nodes: [{id: 'divs/close', team: 'default', run: {command: ['node', 'close.mjs']}, data: 'divs.csv'}]})
    const audit = auditNode(repo, 'divs/close')
    expect(check(audit, 'accounting.consistency').result).toBe('fail')
    const issue = audit.issues.find((i: any) => /do not follow from positions.csv/.test(i.description))
    expect(issue.remediation).toMatch(/they follow from the "close" column, not "adj close" .*declare "price": "close"/)
  })

  it('says when no date of positions.csv is spelled as the data spells it, rather than that the runner ignored RIGOR_DATA', () => {
    repo = auditWorkspace({'prices.csv': pricesCsv({rows: 300, seed: 35, drift: 0.0005})}, '{permutations: 2, seeds: [1]}')
    // honest, its dates written through Date: 2010-01-04T00:00:00.000Z for 2010-01-04
    writeFileSync(
      join(repo.dir, 'iso.mjs'),
      `import {readFileSync, writeFileSync} from 'node:fs'
const rows = readFileSync(process.env.RIGOR_DATA, 'utf8').trim().split('\\n').slice(1).map((l) => l.split(','))
const dates = rows.map((r) => new Date(r[0]).toISOString())
const close = rows.map((r) => Number(r[4]))
const pos = close.map((c, t) => (t >= 20 && c > close[t - 20] ? 1 : 0))
const ret = close.map((c, t) => (t === 0 ? 0 : pos[t - 1] * (c / close[t - 1] - 1)))
const out = process.env.RIGOR_OUT
writeFileSync(out + '/positions.csv', 'date,position\\n' + dates.map((d, t) => d + ',' + pos[t]).join('\\n') + '\\n')
writeFileSync(out + '/returns.csv', 'date,return\\n' + dates.slice(1).map((d, i) => d + ',' + ret[i + 1]).join('\\n') + '\\n')
writeFileSync(out + '/verdict.json', JSON.stringify({metrics: {sharpe: 1}, artifacts: ['returns.csv', 'positions.csv'], accounting: {convention: 'close_to_close', price: 'close', cost_bps: 0}}))
`,
    )
    repo.git('add', 'iso.mjs')
    repo.git('commit', '-qm', 'runner')
    seedAndWork(repo, {nodes: [{id: 'iso/dates', team: 'default', run: {command: ['node', 'iso.mjs']}, data: 'prices.csv'}]})
    const audit = auditNode(repo, 'iso/dates')
    for (const name of ['accounting.consistency', 'lookahead.truncation', 'leakage.permutation', 'robustness.costs']) {
      expect(check(audit, name).result).toBe('error')
      expect(check(audit, name).reason).toMatch(
        /positions.csv: "2010-01-04T00:00:00.000Z"; prices.csv: "2010-01-04"\); fix: write each date as the data file spells it/,
      )
    }
    expect(audit.verdict).toBe('FAIL')
  })
})
