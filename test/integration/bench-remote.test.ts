import {execFileSync} from 'node:child_process'
import {resolve} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {SH_OK} from '../fixtures/runners.js'
import {GIT_ENV} from '../helpers/git-repo.js'
import {manyNodes} from './helpers.js'
import {countActions, remoteWithClones, removeRoot} from './remote-helpers.js'

const DRIVER = resolve(__dirname, '../../bench/remote-driver.js')
let root: string | undefined
afterEach(() => removeRoot(root))

// bench/remote's driver built its ClaimBuffer without the worker's HeldClaims after that became an argument: every
// rigor measurement died with 'this.holding.claiming is not a function', and `node bench/remote.js` with it
describe('bench/remote-driver.js', () => {
  it('claims through the remote for the time given and says how many', () => {
    const made = remoteWithClones(1, manyNodes(3, SH_OK))
    root = made.root
    const out = execFileSync(process.execPath, [DRIVER, 'rigor', made.clones[0]!, '1', 'bench-w'], {
      env: {...process.env, ...GIT_ENV, BENCH_PREFETCH: '2'},
      encoding: 'utf8',
    })
    const result = JSON.parse(out)
    expect(result.done).toBe(3)
    expect([...countActions(made.bare, 'claim').values()]).toEqual([1, 1, 1])
  })
})
