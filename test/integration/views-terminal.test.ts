import {chmodSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {rigor, verdictRunner} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {nodeSpec, workspace, writeSpec} from './helpers.js'

// what reaches the branch in anyone's commit (a subject, a file's name or lines) and what a runner wrote, as a terminal gets it
let repo: TempRepo
afterEach(() => repo?.cleanup())

const ESC = '\u001b'
const CSI_C1 = '\u009b'
const RTL_OVERRIDE = '\u202e'
// clears the screen, homes the cursor, and a link whose text is not where it goes (OSC 8)
const FORGED = `${ESC}[2J${ESC}[H${ESC}]8;;https://example.invalid${ESC}\\ok${ESC}]8;;${ESC}\\`
/** a control of a terminal or a reordering of the text: ESC, an 8-bit CSI, a bidirectional override, a line separator */
const CONTROLS = /[\u001b\u009b\u202e\u2028]/

describe('text from the branch and from runners, as rigor prints it on a terminal', () => {
  it('rigor log writes a hand commit subject and worker with their escape sequences escaped', () => {
    repo = workspace()
    repo.git('commit', '-q', '--allow-empty', '-m', `x${FORGED}${RTL_OVERRIDE}LIAF\n\nRigor-Action: verdict\nRigor-Worker: w${ESC}[31m`)
    const log = rigor(repo.dir, ['log', '-n', '1'])
    expect(log.code, log.stderr).toBe(0)
    expect(log.stdout).not.toMatch(CONTROLS)
    expect(log.stdout).toContain('x\\u001b[2J\\u001b[H\\u001b]8;;https://example.invalid')
    expect(log.stdout).toContain('\\u202eLIAF  [w\\u001b[31m]')
  })

  it('rigor show writes 8-bit controls, bidirectional overrides and line separators of params and notes as escapes, and names a metric refused for one escaped', () => {
    repo = workspace()
    const notes = `red${CSI_C1}31m turned ${RTL_OVERRIDE}LIAF\u2028line`
    writeSpec(repo.dir, {
      nodes: [
        nodeSpec('text/show', verdictRunner({sharpe: 1, [`ok${RTL_OVERRIDE}LIAF`]: 2}, {notes}), {
          params: {[`p${RTL_OVERRIDE}q`]: `v${CSI_C1}2J`},
        }),
      ],
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['work']).code).toBe(0)
    const show = rigor(repo.dir, ['show', 'text/show'])
    expect(show.code, show.stderr).toBe(0)
    expect(show.stdout).not.toMatch(CONTROLS)
    expect(show.stdout).not.toContain('LIAF: 2')
    expect(show.stdout).toContain('p\\u202eq: "v\\u009b2J"')
    expect(show.stdout).toContain('red\\u009b31m turned \\u202eLIAF\\u2028line')
    // --json keeps the text as it is
    const json = JSON.parse(rigor(repo.dir, ['show', 'text/show', '--json']).stdout)
    expect(json.verdict.notes).toBe(notes)
    // the refused metric is named in the verdict's omitted list, its override escaped
    const paths: string[] = json.verdict.omitted.map((o: {path: string}) => o.path)
    expect(paths.filter((path) => /^metrics\.ok\\u\{?202e\}?LIAF$/.test(path))).toHaveLength(1)
  })

  it('warnings, rigor verify and handoff list quote a hand-committed file name and its lines without their escape sequences', () => {
    repo = workspace()
    const dir = join(repo.dir, `experiments/bad${ESC}[31m${RTL_OVERRIDE}x`)
    mkdirSync(dir, {recursive: true})
    writeFileSync(join(dir, 'node.yaml'), `id: a\n${ESC}[2Jteam: [\n`)
    mkdirSync(join(repo.dir, 'handoffs/t'), {recursive: true})
    writeFileSync(join(repo.dir, `handoffs/t/1-a-to-b${ESC}[2J.yaml`), `x: ${ESC}[2J[\n`)
    repo.git('add', '-A')
    repo.git('commit', '-qm', 'by hand')

    const status = rigor(repo.dir, ['status'])
    expect(status.stderr).toContain('experiments/bad\\u001b[31m\\u202ex/node.yaml')
    expect(status.stderr).toContain('\\u001b[2Jteam: [')
    const verify = rigor(repo.dir, ['verify'])
    expect(verify.code).toBe(1)
    expect(verify.stdout).toContain('INVALID experiments/bad\\u001b[31m\\u202ex/node.yaml')
    const handoffs = rigor(repo.dir, ['handoff', 'list'])
    expect(handoffs.stdout).toContain('handoffs/t/1-a-to-b\\u001b[2J.yaml')
    const handoffCheck = rigor(repo.dir, ['handoff', 'verify'])
    expect(handoffCheck.code).toBe(1)
    expect(handoffCheck.stdout).toContain('handoffs/t/1-a-to-b\\u001b[2J.yaml: ')
    for (const out of [status, verify, handoffs, handoffCheck]) {
      expect(out.stdout).not.toMatch(CONTROLS)
      expect(out.stderr).not.toMatch(CONTROLS)
    }
  })

  it('an error quoting the lines of a file the user named writes their escape sequences escaped', () => {
    repo = workspace()
    writeSpec(repo.dir, `nodes:\n  - id: a\n    ${ESC}[2J${RTL_OVERRIDE}team: [\n`)
    const seed = rigor(repo.dir, ['seed', 'spec.yaml'])
    expect(seed.code).toBe(2)
    expect(seed.stderr).toContain('\\u001b[2J\\u202eteam: [')
    expect(seed.stderr).not.toMatch(CONTROLS)
  })

  it('design, assess and cycle quote what the agent answered without its escape sequences', () => {
    repo = workspace()
    const program = join(repo.dir, '.git', 'echo-agent')
    writeFileSync(program, '#!/bin/sh\ncat >/dev/null\nprintf "%s\\n" "$ANSWER"\n')
    chmodSync(program, 0o755)
    writeSpec(repo.dir, {nodes: [nodeSpec('text/assessed', verdictRunner({sharpe: 1}))]})
    writeFileSync(
      join(repo.dir, 'rigor.yaml'),
      `version: 1\nteams: [{name: default}]\ngates: [{name: g, accept_when: 'metrics.sharpe > 0.5'}]\nagent: {command: [${JSON.stringify(program)}]}\ncycle: {steps: [design]}\n`,
    )
    repo.git('add', '-A')
    repo.git('commit', '-qm', 'agent')
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['work']).code).toBe(0)

    const proposals = `nodes:\n  - {id: "a/b${ESC}[2J", team: default, run: {command: ["true"]}}\n  - {id: a/c, team: default, "k${ESC}[31m": 1, run: {command: ["true"]}}\n`
    const design = rigor(repo.dir, ['design'], {ANSWER: proposals})
    expect(design.code, design.stderr).toBe(0)
    expect(design.stdout).toContain('invalid: nodes[0].id: "a/b\\u001b[2J"')
    expect(design.stdout).toContain('Unrecognized key: "k\\u001b[31m"')

    const assess = rigor(repo.dir, ['assess', 'text/assessed'], {ANSWER: `Fine.${FORGED}\nPASS ${RTL_OVERRIDE}LIAF`})
    expect(assess.code, assess.stderr).toBe(0)
    expect(assess.stdout).toContain('Fine.\\u001b[2J\\u001b[H')
    expect(assess.stdout).toContain('\nPASS \\u202eLIAF')

    // a step's error in the summary table: one row, one line
    const cycle = rigor(repo.dir, ['cycle'], {ANSWER: `nodes: [\n${ESC}[2Jx`})
    expect(cycle.code).toBe(1)
    expect(cycle.stdout).toMatch(/^design\tfailed\t1\t\$0\.00\tagent answer: .*\\u001b\[2Jx/m)
    for (const out of [design, assess, cycle]) expect(out.stdout + out.stderr).not.toMatch(CONTROLS)
  })

  it('rigor rank by a metric named with a bidirectional override (which no runner can report) names it escaped', () => {
    repo = workspace()
    const metric = `ok${RTL_OVERRIDE}LIAF`
    writeSpec(repo.dir, {nodes: [nodeSpec('text/ranked', verdictRunner({sharpe: 1, [metric]: 2}))]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['work']).code).toBe(0)
    const rank = rigor(repo.dir, ['rank', '--metric', metric])
    expect(rank.code).toBe(2)
    expect(rank.stderr).toContain('has no metric "ok\\u202eLIAF"')
    expect(rank.stdout + rank.stderr).not.toMatch(CONTROLS)
  })
})
