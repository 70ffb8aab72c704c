import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {rigor} from '../helpers/cli.js'
import {SLOW} from '../helpers/processes.js'

// apart from demo.test.ts: each runs the whole demo, and one file doing both took over 90 s on a loaded machine
let dir: string
afterEach(() => rmSync(dir, {recursive: true, force: true}))

describe('rigor demo inside another repository', () => {
  it('makes its own repository even inside another one (the README runs it in this checkout)', {timeout: SLOW}, () => {
    dir = mkdtempSync(join(tmpdir(), 'rigor-demo-test-'))
    execFileSync('git', ['init', '-q', '-b', 'main'], {cwd: dir})
    writeFileSync(join(dir, 'rigor.yaml'), 'version: 1\n')
    const target = join(dir, 'nested-demo')
    const result = rigor(dir, ['demo', target, '--json'])
    expect(result.code, result.stderr).toBe(0)
    expect(execFileSync('git', ['rev-parse', '--show-toplevel'], {cwd: target, encoding: 'utf8'}).trim()).toBe(target)
    expect(rigor(target, ['verify']).code).toBe(0)
  })
})
