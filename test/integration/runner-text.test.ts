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
})
