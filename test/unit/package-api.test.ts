import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {describe, expect, it} from 'vitest'

const ROOT = resolve(__dirname, '../..')

describe('the library API', () => {
  it('imports from the built package by its name, as another project would, and opens a workspace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rigor-api-'))
    try {
      // a project that depends on rigor: node_modules/rigor-research is this package (main/types point at dist/index.js)
      execFileSync('mkdir', ['-p', join(dir, 'node_modules')])
      symlinkSync(ROOT, join(dir, 'node_modules', 'rigor-research'))
      writeFileSync(join(dir, 'package.json'), '{"type": "module"}')
      writeFileSync(
        join(dir, 'use.mjs'),
        `import {Workspace, policies, summariseStatus, stats, backtest, initWorkspace, nodeIdProblem} from 'rigor-research'
const ws = process.argv[2]
await initWorkspace(ws)
const opened = await Workspace.open(ws)
try {
  const status = summariseStatus(await opened.currentSnapshot())
  console.log(JSON.stringify({total: status.total, admission: typeof policies.admission, dsr: typeof stats.deflatedSharpeRatio, kit: backtest.STRATEGY_NAMES.length > 0, id: nodeIdProblem('a/b') === undefined}))
} finally {
  await opened.close()
}
`,
      )
      const out = execFileSync(process.execPath, ['use.mjs', join(dir, 'ws')], {
        cwd: dir,
        encoding: 'utf8',
        env: {...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t'},
      })
      expect(JSON.parse(out)).toEqual({total: 0, admission: 'function', dsr: 'function', kit: true, id: true})
      // the package's declared types exist beside it
      expect(execFileSync('node', ['-e', "console.log(require('./package.json').types)"], {cwd: ROOT, encoding: 'utf8'}).trim()).toBe(
        'dist/index.d.ts',
      )
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
