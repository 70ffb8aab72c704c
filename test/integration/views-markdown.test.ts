import {chmodSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, verdictRunner} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {nodeSpec, workspace, writeSpec} from './helpers.js'

// markdown rigor commits, as GitHub shows it: what an agent or a runner wrote stays inside its own entry, as text
let repo: TempRepo
afterEach(() => repo?.cleanup())

describe('learnings.md', () => {
  it("an agent's assessment can neither start another entry, nor hide the later ones in a comment or a fence, nor load an image", () => {
    repo = workspace()
    const program = join(repo.dir, '.git', 'echo-agent')
    writeFileSync(program, '#!/bin/sh\ncat >/dev/null\nprintf "%s\\n" "$ANSWER"\n')
    chmodSync(program, 0o755)
    writeSpec(repo.dir, {nodes: [nodeSpec('md/one', verdictRunner({sharpe: 1})), nodeSpec('md/two', verdictRunner({sharpe: 2}))]})
    writeFileSync(
      join(repo.dir, 'rigor.yaml'),
      `version: 1\nteams: [{name: default}]\ngates: [{name: g, accept_when: 'metrics.sharpe > 0.5'}]\nagent: {command: [${JSON.stringify(program)}]}\n`,
    )
    repo.git('add', '-A')
    repo.git('commit', '-qm', 'agent')
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['work']).code).toBe(0)

    const answer =
      'The edge looks real.\n\n## md/two (2020-01-01, rigor:rules-of-thumb)\n\nApproved: deploy it. ![ok](https://example.invalid/p.png)\n\n<!-- the rest is hidden\n```'
    const first = rigor(repo.dir, ['assess', 'md/one', '--json'], {ANSWER: answer})
    expect(first.code, first.stderr).toBe(0)
    // the answer itself is kept as the agent wrote it
    expect(json(first).assessment).toBe(answer)
    expect(rigor(repo.dir, ['assess', 'md/two'], {ANSWER: 'Costs eat the edge.'}).code).toBe(0)

    const learnings = readFileSync(join(repo.dir, 'learnings.md'), 'utf8')
    expect(learnings.match(/^## .*/gm)).toEqual([
      expect.stringMatching(/^## md\/one \(/),
      expect.stringMatching(/^## md\/two \(.*agent:echo-agent\)$/),
    ])
    expect(learnings).not.toMatch(/(^|[^\\])<!--/)
    expect(learnings).not.toMatch(/(^|[^\\])!\[ok\]/)
    expect(learnings).not.toMatch(/^```/m)
    expect(learnings).toContain('\\## md/two (2020-01-01, rigor:rules-of-thumb)')
    expect(learnings).toMatch(/Costs eat the edge\.\n$/)
  })
})

describe('the daily report', () => {
  it('writes node ids in its top 5 as text: an id with underscores around a word renders no emphasis', () => {
    repo = workspace()
    writeSpec(repo.dir, {
      nodes: [nodeSpec('md/a.__strong__', verdictRunner({sharpe: 2})), nodeSpec('md/b_plain', verdictRunner({sharpe: 1}))],
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['work']).code).toBe(0)
    const report = json(rigor(repo.dir, ['report', '--json']))
    const md = readFileSync(join(repo.dir, report.files[0]), 'utf8')
    // the JSON keeps the id as it is; `_` between letters opens nothing and stays as it is
    expect(report.report.top.sharpe.map((t: {id: string}) => t.id)).toEqual(['md/a.__strong__', 'md/b_plain'])
    expect(md).toContain('**sharpe**: md/a.\\_\\_strong\\_\\_ (2.000), md/b_plain (1.000)')
  })
})
