import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {KIT_COMMANDS, OutputChecker, ROOT} from './json-output-helpers.js'

/**
 * The kits' --json output (stats, backtest, data) against the committed schemas in schemas/output/. Apart from
 * json-output.test.ts because they need no workspace, and that file ran up to 94 s on a loaded 2-core host with them.
 */

const output = new OutputChecker()
let scratch: string
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'rigor-json-kits-'))
})
afterAll(() => {
  if (scratch) rmSync(scratch, {recursive: true, force: true})
})

describe("the kits' --json output matches schemas/output/", {timeout: 300_000}, () => {
  it('stats, backtest, data', () => {
    const checked = output.checked.bind(output)
    const returns = join(scratch, 'returns.csv')
    writeFileSync(returns, `return\n${Array.from({length: 60}, (_, i) => (Math.sin(i) * 0.01 + 0.001).toFixed(5)).join('\n')}\n`)
    const matrix = join(scratch, 'matrix.csv')
    writeFileSync(
      matrix,
      `a,b,c,d\n${Array.from({length: 64}, (_, i) => [1, 2, 3, 4].map((k) => (Math.sin(i * k) * 0.01).toFixed(5)).join(',')).join('\n')}\n`,
    )
    checked('stats sharpe', scratch, ['stats', 'sharpe', '--returns', returns])
    checked('stats psr', scratch, ['stats', 'psr', '--returns', returns])
    checked('stats dsr', scratch, ['stats', 'dsr', '--returns', returns, '--trials', '10', '--var-trials', '0.01'])
    checked('stats mintrl', scratch, ['stats', 'mintrl', '--sharpe', '0.1'])
    checked('stats pbo', scratch, ['stats', 'pbo', '--returns', matrix, '--splits', '4'])
    checked('stats dsr', scratch, ['stats', 'dsr', '--sharpe', 'x', '--trials', '10', '--var-trials', '0.01', '--n-obs', '100'], {code: 2})
    checked('data generate', scratch, ['data', 'generate', '--out', join(scratch, 'gen.csv'), '--years', '1'])
    const prices = join(scratch, 'prices.csv')
    writeFileSync(prices, `${readFileSync(join(ROOT, 'data/SYNTH-A.csv'), 'utf8').trimEnd().split('\n').slice(0, 1201).join('\n')}\n`)
    const out = join(scratch, 'bt-out')
    mkdirSync(out)
    checked('backtest', scratch, ['backtest', '--strategy', 'momentum'], {
      env: {RIGOR_DATA: prices, RIGOR_OUT: out, RIGOR_PARAMS: '{}'},
    })
  })

  it('covered exactly the kit commands json-output.test.ts counts on it for, and the error shape', () => {
    expect([...output.covered].sort()).toEqual([...KIT_COMMANDS, 'error'].sort())
  })
})
