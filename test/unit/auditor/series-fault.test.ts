import {describe, expect, it} from 'vitest'
import {seriesByDate, seriesFault} from '../../../src/core/auditor/csv.js'

describe('seriesFault: a date,value file must say one finite number per date', () => {
  it('takes a warm-up a dataframe wrote as NaN or empty before the first position: dates not reported yet', () => {
    // pandas writes a rolling window's warm-up as NaN or an empty cell: the honest runner has taken no position yet
    expect(seriesFault('date,position\n2024-01-02,NaN\n2024-01-03,\n2024-01-04,1\n2024-01-05,-1\n', 'position')).toBeUndefined()
    expect(seriesFault('date,return\n2024-01-02,\n2024-01-03,0.01\n', 'return')).toBeUndefined()
  })

  it('names the line of a value that is no number once the series has started, and of a date given twice', () => {
    expect(seriesFault('date,position\n2024-01-02,1\n2024-01-03,NaN\n2024-01-04,1\n', 'position')).toEqual({
      line: 3,
      date: '2024-01-03',
      problem: 'has "NaN" for 2024-01-03, not a finite number',
    })
    expect(seriesFault('date,return\n2024-01-02,0.01\n2024-01-03,\n', 'return')?.problem).toBe(
      'has no value for 2024-01-03, not a finite number',
    )
    expect(seriesFault('date,return\n2024-01-02,NaN\n2024-01-02,0.01\n', 'return')).toEqual({
      line: 3,
      date: '2024-01-02',
      problem: 'gives 2024-01-02 again (first on line 2)',
    })
  })

  it('names the line in the file past empty lines, where it named the record index + 2', () => {
    expect(seriesFault('date,position\n\n2024-01-02,1\n\n2024-01-03,NaN\n', 'position')?.line).toBe(5)
    expect(seriesFault('date,return\n2024-01-02,0.01\n\n\n2024-01-02,0.02\n', 'return')).toEqual({
      line: 5,
      date: '2024-01-02',
      problem: 'gives 2024-01-02 again (first on line 2)',
    })
  })
  it('reads values in decimal only: 0x10, 0b11 and 0o7 are no return or position, as for a price', () => {
    // Number() reads them as 16, 3 and 7: a value anyone reading the file takes for text would be checked as a number
    expect(seriesFault('date,position\n2024-01-02,1\n2024-01-03,0x10\n', 'position')).toEqual({
      line: 3,
      date: '2024-01-03',
      problem: 'has "0x10" for 2024-01-03, not a finite number',
    })
    expect(seriesFault('date,return\n2024-01-02,0b11\n2024-01-03,0.01\n2024-01-04,0o7\n', 'return')?.line).toBe(4)
    expect([...seriesByDate('date,return\n2024-01-02,0x10\n2024-01-03,-1.5e-3\n2024-01-04,+.5\n', 'return').values()]).toEqual([
      Number.NaN,
      -0.0015,
      0.5,
    ])
  })
})
