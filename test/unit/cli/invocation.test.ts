import {chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {dirFrom, howToRun, shellQuote} from '../../../src/cli/invocation.js'
import {tryNext} from '../../../src/commands/demo.js'
import {NODE_STATUSES} from '../../../src/core/schemas/statuses.js'
import type {NodeStatus} from '../../../src/core/schemas/common.js'

const dir = mkdtempSync(join(tmpdir(), 'rigor-invocation-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

function executable(path: string): string {
  mkdirSync(join(path, '..'), {recursive: true})
  writeFileSync(path, '#!/bin/sh\n')
  chmodSync(path, 0o755)
  return path
}

const counts = (pending: number) => ({...Object.fromEntries(NODE_STATUSES.map((s) => [s, 0])), pending}) as Record<NodeStatus, number>

const bin = executable(join(dir, 'checkout/bin/run.js'))

describe('how the user runs this rigor again', () => {
  it('`rigor` when the first rigor on PATH is this one (npm link makes a symbolic link)', () => {
    mkdirSync(join(dir, 'linked'))
    symlinkSync(bin, join(dir, 'linked/rigor'))
    expect(howToRun({bin, name: 'rigor', env: {PATH: join(dir, 'linked')}})).toEqual({prefix: 'rigor', onPath: true})
  })

  it('node and the path of bin/run.js when rigor is not on PATH, or another rigor is', () => {
    const none = howToRun({bin, name: 'rigor', env: {PATH: ''}, execPath: '/opt/node 20/bin/node'})
    expect(none).toEqual({prefix: `'/opt/node 20/bin/node' ${bin}`, onPath: false, other: undefined})
    const other = executable(join(dir, 'other/rigor'))
    const node = executable(join(dir, 'other/node'))
    const shadowed = howToRun({bin, name: 'rigor', env: {PATH: join(dir, 'other')}, execPath: node})
    expect(shadowed).toEqual({prefix: `node ${bin}`, onPath: false, other})
  })

  it('every "Try next" line runs from where the user is', () => {
    const lines = tryNext(
      {dir: '/home/u/rigor-demo', best: [], report: ['reports/2026-01-02.md'], status: {by_status: counts(0)}},
      {prefix: 'node /x/bin/run.js', onPath: false},
      '/home/u',
    )
    expect(lines[0]).toMatch(/rigor is not on your PATH; `npm link`/)
    expect(lines[1]).toBe('  node /x/bin/run.js status --cwd rigor-demo')
    expect(lines).toContain('  less rigor-demo/reports/2026-01-02.md')
    expect(lines.at(-1)).toMatch(/^ {2}node \/x\/bin\/run\.js site --serve 8080 --cwd rigor-demo +# the dashboard/)
    const stopped = tryNext(
      {dir: '/tmp/d', best: [], report: [], status: {by_status: counts(3)}},
      {prefix: 'rigor', onPath: true},
      '/home/u',
    )
    expect(stopped[1]).toBe('  rigor status --cwd /tmp/d')
    // a demo stopped after its work step has no report to read, and pending nodes to finish
    expect(stopped.filter((l) => l.startsWith('  less'))).toEqual([])
    expect(stopped).toContain('  rigor work --cwd /tmp/d    # the nodes the stopped demo left pending')
    expect(stopped).toContain('  rigor report --cwd /tmp/d')
    // stopped in its audit step, the demo left nothing pending: `rigor work` would find nothing to do
    const audited = tryNext(
      {dir: '/tmp/d', best: [], report: [], status: {by_status: counts(0)}},
      {prefix: 'rigor', onPath: true},
      '/home/u',
    )
    expect(audited.filter((l) => l.includes(' work '))).toEqual([])
    expect(audited).toContain('  rigor report --cwd /tmp/d')
  })

  it('quotes what the shell would split', () => {
    expect(shellQuote('/a/b.js')).toBe('/a/b.js')
    expect(shellQuote("it's here")).toBe(`'it'\\''s here'`)
    expect(dirFrom('/a', '/a')).toBe('.')
    expect(dirFrom('/a', '/a/b c')).toBe("'b c'")
  })
})
