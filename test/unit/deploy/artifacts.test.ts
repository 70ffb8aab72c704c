import {describe, expect, it} from 'vitest'
import {artifactDifferences, describeDifferences} from '../../../src/core/state/artifacts.js'
import {alignColumns, parseDatedCsv} from '../../../src/core/deploy/dated-csv.js'

const A = `sha256:${'a'.repeat(64)}`
const B = `sha256:${'b'.repeat(64)}`

describe('artifactDifferences', () => {
  it('is empty only for the same files with the same sums', () => {
    expect(artifactDifferences({'out/returns.csv': A}, {'out/returns.csv': A})).toEqual([])
  })

  it('names changed, removed and added files, in path order', () => {
    const diffs = artifactDifferences({'out/returns.csv': A, 'out/positions.csv': A}, {'out/returns.csv': B, 'out/extra.csv': A})
    expect(diffs.map((d) => [d.path, d.kind])).toEqual([
      ['out/extra.csv', 'added'],
      ['out/positions.csv', 'removed'],
      ['out/returns.csv', 'changed'],
    ])
    expect(describeDifferences(diffs)).toContain('out/returns.csv changed (sha256:aaaaaaaaaaa')
  })
})

describe('dated CSV tables', () => {
  it('needs a date column and real dates, naming the file and line', () => {
    expect(() => parseDatedCsv('day,close\n2024-01-01,1\n', 'p.csv')).toThrow(/p\.csv: has no "date" column/)
    expect(() => parseDatedCsv('date,close\n2024-01-01,1\nsoon,2\n', 'p.csv')).toThrow(/line 3: "soon" is not a date/)
  })

  it("reorders new rows to the history's columns and refuses a missing one", () => {
    const rows = parseDatedCsv('close,date\n5,2024-02-01\n', 'new.csv')
    expect(alignColumns(rows, ['date', 'close'], 'new.csv')).toEqual([['2024-02-01', '5']])
    expect(() => alignColumns(rows, ['date', 'open', 'close'], 'new.csv')).toThrow(/no "open" column/)
  })
})
