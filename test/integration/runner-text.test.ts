import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, verdictRunner} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {nodeSpec, workspace, writeSpec} from './helpers.js'

// what a runner writes reaches a terminal (rigor work, rigor audit) and the audit report a pull request shows
let repo: TempRepo
afterEach(() => repo?.cleanup())

const ESC = '\u001b'
// clears the screen, homes the cursor and prints a line that reads as a result
const FORGED_LINE = `${ESC}[2J${ESC}[H${ESC}[32mproven_accepted text/forged in 0.1s (gate g accepted)`

describe('text a runner wrote, as rigor shows it', () => {
  it('rigor work prints a failed run reason quoting the runner without its escape sequences or line breaks', () => {
    repo = workspace()
    const garbage = `x${FORGED_LINE}\n`
    writeSpec(repo.dir, {
      nodes: [
        nodeSpec('text/artifact', verdictRunner({sharpe: 1}, {artifacts: [`${FORGED_LINE}\nRigor-Status: proven_accepted`]})),
        nodeSpec('text/garbage', [
          process.execPath,
          '-e',
          `require('fs').writeFileSync(process.env.RIGOR_OUT + '/verdict.json', ${JSON.stringify(garbage)})`,
        ]),
      ],
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const work = rigor(repo.dir, ['work'])
    expect(work.code).toBe(0)
    expect(work.stdout).not.toContain(ESC)
    expect(work.stdout).not.toMatch(/^(proven_accepted text\/forged|Rigor-Status)/m)
    expect(work.stdout).toContain('inconclusive text/artifact')
    expect(work.stdout).toContain('\\u001b[2J')
    const artifact = json(rigor(repo.dir, ['show', 'text/artifact', '--json'])).verdict
    expect(artifact.reason).toMatch(/^verdict\.json declares artifact ".*\\u001b\[2J.*\\nRigor-Status.*" but the runner did not write it$/)
    const garbled = json(rigor(repo.dir, ['show', 'text/garbage', '--json'])).verdict
    expect(garbled.reason).toContain('not valid JSON')
    expect(garbled.reason).not.toContain(ESC)
  })

  it('the offline assessment quotes a run reason in learnings.md as text, not markdown', () => {
    repo = workspace()
    writeSpec(repo.dir, {
      nodes: [
        nodeSpec(
          'text/hidden',
          verdictRunner({sharpe: 1}, {artifacts: ['../<!-- the rest is hidden', '![x](https://example.invalid/p.png)']}),
        ),
      ],
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['work']).code).toBe(0)
    expect(rigor(repo.dir, ['assess', 'text/hidden']).code).toBe(0)
    const learnings = readFileSync(join(repo.dir, 'learnings.md'), 'utf8')
    expect(learnings).toContain('## text/hidden')
    expect(learnings).not.toMatch(/(^|[^\\])<!--/)
    expect(learnings).not.toMatch(/(^|[^\\])!\[x\]/)
  })

  it('an accounting convention holding markdown stays one piece of text in the audit report and one line on the terminal', () => {
    repo = workspace()
    const convention = `x | y${ESC}[2J\n\n## Reviewer sign-off\n\nApproved: **PASS** ![ok](https://example.invalid/p.png) [docs](https://example.invalid)\n\n<!-- `
    const returns = `date,return\n${Array.from({length: 28}, (_, d) => `2020-01-${String(d + 1).padStart(2, '0')},${d % 2 ? -0.004 : 0.006}`).join('\n')}\n`
    const runner = [
      process.execPath,
      '-e',
      `const fs = require('fs'); fs.writeFileSync(process.env.RIGOR_OUT + '/returns.csv', ${JSON.stringify(returns)});` +
        `fs.writeFileSync(process.env.RIGOR_OUT + '/verdict.json', ${JSON.stringify(JSON.stringify({metrics: {sharpe: 1}, accounting: {convention}, artifacts: ['returns.csv']}))})`,
    ]
    writeSpec(repo.dir, {nodes: [nodeSpec('text/convention', runner)]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['work']).code).toBe(0)
    const audit = rigor(repo.dir, ['audit', 'text/convention', '--auditor', 'risk'])
    expect(audit.code, audit.stderr).toBe(0)
    expect(audit.stdout).not.toContain(ESC)
    expect(audit.stdout).not.toMatch(/^## Reviewer/m)

    const dir = join(repo.dir, 'audits/text/convention')
    const file = readdirSync(dir).find((f) => f.endsWith('.md'))!
    const report = readFileSync(join(dir, file), 'utf8')
    const {checks} = JSON.parse(readFileSync(join(dir, file.replace(/\.md$/, '.json')), 'utf8')) as {checks: unknown[]}
    const body = report.slice(report.indexOf('\n# Audit of'))
    // the runner's text starts no heading, hides nothing in a comment, loads no image and links nowhere
    expect(body.match(/^#+ .*/gm)).toEqual(expect.arrayContaining(['## Checks', '## Issues', '## Holdout']))
    expect(body).not.toMatch(/^#+ Reviewer/m)
    expect(body).not.toMatch(/(^|[^\\])<!--/)
    expect(body).not.toMatch(/(^|[^\\])!\[ok/)
    expect(body).not.toMatch(/(^|[^\\])\[docs\]/)
    expect(body).not.toContain(ESC)
    // one table row per check, each with its four cells: no `|` of the runner's ends a cell
    const rows = body.split('\n').filter((line) => /^\| [a-z]+\.[a-z]+ \|/.test(line))
    expect(rows).toHaveLength(checks.length)
    for (const row of rows) expect(row.replace(/\\\|/g, '').split('|').length).toBe(6)
    expect(body).toContain('the runner declares the convention "x \\| y\\u001b\\[2J\\n\\n## Reviewer sign-off')
  })
})
