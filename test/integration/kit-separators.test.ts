import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {rigor} from '../helpers/cli.js'

// files exported by a spreadsheet under a decimal comma (";") or as tab-separated text, through the built CLI
const work = mkdtempSync(join(tmpdir(), 'rigor-kit-separators-'))
afterAll(() => rmSync(work, {recursive: true, force: true}))

const rows = Array.from({length: 30}, (_, i) => [`2024-01-${String(i + 1).padStart(2, '0')}`, (100 + (i % 5)).toFixed(2)])

function write(name: string, separator: string, header: string[], body: string[][], decimalComma = false): string {
  const file = join(work, name)
  const cell = (text: string) => (decimalComma ? text.replace('.', ',') : text)
  writeFileSync(file, `\uFEFF${[header, ...body].map((row) => row.map(cell).join(separator)).join('\r\n')}\r\n`)
  return file
}

describe('a CSV separated by something other than commas', () => {
  it.each([
    ['semicolons', ';', '";"', false],
    ['semicolons and decimal commas', ';', '";"', true],
    ['tabs', '\t', 'tabs', false],
  ])('a price file with %s is refused naming the separator and how to save it (exit 2)', (_, separator, shown, decimalComma) => {
    const data = write('prices.csv', separator as string, ['Date', 'Close'], rows, decimalComma as boolean)
    const run = rigor(work, ['backtest', '--strategy', 'momentum'], {RIGOR_DATA: data, RIGOR_OUT: join(work, 'out')})
    expect(run.code, run.stderr).toBe(2)
    expect(run.stderr).toContain(`prices.csv: has its columns separated by ${shown}, not commas`)
    expect(run.stderr).toContain('Fix: save it as comma-separated CSV, with a point for decimals')
  })

  it.each([
    ['semicolons', ';', '";"', false],
    ['semicolons and decimal commas', ';', '";"', true],
    ['tabs', '\t', 'tabs', false],
  ])('a returns file with %s given to rigor stats is refused the same way', (_, separator, shown, decimalComma) => {
    const returns = rows.map(([date], i) => [date!, (((i * 7) % 5) - 2) / 100].map(String))
    const file = write('returns.csv', separator as string, ['date', 'return'], returns, decimalComma as boolean)
    const run = rigor(work, ['stats', 'sharpe', '--returns', file])
    expect(run.code, run.stderr).toBe(2)
    expect(run.stderr).toContain(`returns.csv: has its columns separated by ${shown}, not commas`)
  })

  it('a comma-separated file with semicolons inside a column is read as it is', () => {
    const data = write(
      'notes.csv',
      ',',
      ['date', 'close', 'note'],
      rows.map(([date, close]) => [date!, close!, 'a;b']),
    )
    const run = rigor(work, ['backtest', '--strategy', 'momentum', '--folds', '2'], {
      RIGOR_DATA: data,
      RIGOR_OUT: join(work, 'out'),
      RIGOR_PARAMS: '{"lookback": 2}',
    })
    expect(run.code, run.stderr).toBe(0)
  })
})

describe('a CSV that is not UTF-8 text', () => {
  it('a UTF-16 price file (a spreadsheet’s "Unicode text") is refused as such (exit 2), not as dates that are no dates', () => {
    const file = join(work, 'unicode.csv')
    const text = `date,close\n${rows.map((row) => row.join(',')).join('\n')}\n`
    writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]))
    const run = rigor(work, ['backtest', '--strategy', 'momentum'], {RIGOR_DATA: file, RIGOR_OUT: join(work, 'out')})
    expect(run.code, run.stderr).toBe(2)
    expect(run.stderr).toContain('unicode.csv: holds NUL bytes: it is UTF-16 text')
    expect(run.stderr).toContain('Fix: save it as CSV in UTF-8')
    const stats = rigor(work, ['stats', 'sharpe', '--returns', file])
    expect(stats.code, stats.stderr).toBe(2)
    expect(stats.stderr).toContain('holds NUL bytes')
  })
})
