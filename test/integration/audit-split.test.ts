import {afterEach, describe, expect, it} from 'vitest'
import type {TempRepo} from '../helpers/git-repo.js'
import {pricesCsv} from './audit-fixtures.js'
import {auditNode, auditWorkspace, check, seedAndWork, strategyNode} from './audit-cheats-helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

describe('the look-ahead check tells the author what to change', () => {
  it('fails a train/test split at a fraction of the rows, naming the copy it differed in and the split to make instead', () => {
    repo = auditWorkspace({'prices.csv': pricesCsv({rows: 600, seed: 41, drift: 0.0005})}, '{permutations: 2, seeds: [1]}')
    // "test" half: flat before half the rows, long after; where half falls moves with every row added
    seedAndWork(repo, {
      nodes: [
        strategyNode(
          repo,
          'split/half',
          'prices.csv',
          'const split = Math.floor(close.length / 2); return close.map((c, t) => (t < split ? 0 : 1))',
        ),
      ],
    })
    const audit = auditNode(repo, 'split/half')
    expect(check(audit, 'lookahead.truncation').result).toBe('fail')
    const issue = audit.issues.find((i: any) => i.category === 'lookahead')
    const cuts = check(audit, 'lookahead.truncation').figures.cuts_rows
    expect(issue.description).toMatch(new RegExp(`in the copy cut at row (${cuts.join('|')}), ending before \\d{4}-\\d\\d-\\d\\d\\)`))
    expect(issue.remediation).toMatch(/a train\/test split at a fraction of the rows .* split at a date/)
  })

  it('does not call an honest runner on a newest-first file a look-ahead: its first rows are no earlier history, so the check is an error that says to sort it', () => {
    const day = (t: number) => new Date(Date.UTC(2012, 0, 2) - t * 86_400_000).toISOString().slice(0, 10)
    repo = auditWorkspace({'desc.csv': pricesCsv({rows: 400, seed: 42, drift: 0.0005, date: day})}, '{permutations: 2, seeds: [1]}')
    // the row 20 days earlier in time is 20 rows further down the file
    seedAndWork(repo, {
      nodes: [
        strategyNode(repo, 'desc/mom', 'desc.csv', 'return close.map((c, t) => (t + 20 < close.length && c > close[t + 20] ? 1 : 0))'),
      ],
    })
    const truncation = check(auditNode(repo, 'desc/mom'), 'lookahead.truncation')
    expect(truncation.result).toBe('error')
    expect(truncation.reason).toMatch(/cannot be cut by date .*fix: sort the rows oldest first/)
  })
})
