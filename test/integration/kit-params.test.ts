import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {rigor} from '../helpers/cli.js'

// the kit's params as a user hands them in through RIGOR_PARAMS, through the built CLI
const work = mkdtempSync(join(tmpdir(), 'rigor-kit-params-'))
afterAll(() => rmSync(work, {recursive: true, force: true}))

const prices = join(work, 'prices.csv')
writeFileSync(prices, `date,close\n${Array.from({length: 40}, (_, i) => `${1_704_067_200 + i * 86_400},${100 + (i % 7)}`).join('\n')}\n`)

function backtest(strategy: string, params: unknown) {
  return rigor(work, ['backtest', '--strategy', strategy, '--folds', '1'], {
    RIGOR_DATA: prices,
    RIGOR_OUT: join(work, 'out'),
    RIGOR_PARAMS: JSON.stringify(params),
  })
}

describe('vol-target base', () => {
  it.each(['toString', '__proto__', 'constructor'])('refuses %s as a base strategy (exit 2, naming the field), not crashing', (base) => {
    const run = backtest('vol-target', {base})
    expect(run.code, run.stderr).toBe(2)
    expect(run.stderr).toContain('field "base"')
    expect(run.stderr).toContain('is not a base strategy; one of momentum, ma-crossover, rsi-reversion, breakout')
  })
})
