import {stringify} from 'csv-stringify/sync'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {priceTableText, readDatedTable} from '../../src/core/data/price-file.js'

const cell = fc.oneof(
  fc.constantFrom('', ' ', '2024-01-02', '100.5', '1e-7', 'a b', '#x', '-1', '=1+2', '"', 'a,b', 'x\ny', 'x\r', "'q'", 'é'),
  fc.string({maxLength: 6}),
)

describe('a table written back as CSV text', () => {
  it('is byte for byte what csv-stringify writes, whatever its cells (quoted only where they must be) and ragged rows', () => {
    fc.assert(
      fc.property(fc.array(fc.array(cell, {maxLength: 5}), {minLength: 1, maxLength: 8}), ([header, ...rows]) => {
        const table = {file: 't.csv', header: header!, rows, lineOf: () => 0, columns: {date: 0}}
        expect(priceTableText(table)).toBe(stringify([header, ...rows]))
      }),
      {numRuns: 500},
    )
  })

  it('reads back as the table it was written from', () => {
    const text = 'Date,Close,Note\n2024-01-02,100,"a, b"\n2024-01-03,101,plain\n'
    const table = readDatedTable(text, 't.csv')
    expect(priceTableText(table)).toBe(text)
    expect(priceTableText(readDatedTable('date,close\n2024-01-02,1\n', 't.csv'))).toBe('date,close\n2024-01-02,1\n')
  })
})
