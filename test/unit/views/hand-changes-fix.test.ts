import {execFileSync} from 'node:child_process'
import {mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {handChangesFix} from '../../../src/core/state/hand-changes.js'

const commit = 'a'.repeat(40)

describe('the fix verify prints for hand changes', () => {
  it('quotes paths so that a POSIX shell reads each back as it is, and runs nothing a runner put in a name', () => {
    const paths = [
      'experiments/x/out/$(touch PWNED).csv',
      "experiments/x/out/it's;here.csv",
      'experiments/x/out/`id` and\nnewline.csv',
      'experiments/x/node.yaml',
    ]
    const fix = handChangesFix(paths.map((path) => ({path, commit, change: 'removed' as const, rigor_commit: commit})))
    const command = /git checkout a{10} -- (.*?)\. A plain git commit/s.exec(fix)![1]!
    // the shell prints each argument it was given: exactly the paths, nothing run
    const dir = mkdtempSync(join(tmpdir(), 'rigor-fix-'))
    try {
      const echoed = execFileSync('sh', ['-c', `printf '%s\\0' ${command}`], {cwd: dir, encoding: 'utf8'})
      expect(echoed.split('\0').slice(0, -1)).toEqual(paths)
      expect(readdirSync(dir)).toEqual([])
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
