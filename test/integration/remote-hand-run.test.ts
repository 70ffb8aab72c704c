import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import {SH_OK} from '../fixtures/runners.js'
import {nodeSpec} from './helpers.js'
import {countActions, git, remoteWithClones, removeRoot} from './remote-helpers.js'

let root: string | undefined
afterEach(() => removeRoot(root))

describe('rigor run of a node another clone claimed', () => {
  // `rigor run X --remote origin` in clone B ran the node clone A had claimed (and might be running): rigor run takes
  // the claim's own worker, and the live-run check looks at this machine only; the second run's verdict was dropped
  it('is refused while the claim holds a live lease; the clone whose `rigor claim` made it runs it', () => {
    const made = remoteWithClones(2, {nodes: [nodeSpec('h/one', SH_OK)]})
    root = made.root
    const [a, b] = made.clones as [string, string]
    expect(rigor(a, ['claim', '--remote', 'origin', '--worker', 'alice']).stdout.trim()).toBe('h/one')
    for (const args of [
      ['run', 'h/one', '--remote', 'origin', '--json'],
      ['run', 'h/one', '--remote', 'origin', '--worker', 'alice', '--json'],
    ]) {
      const second = rigor(b, args)
      expect(second.code, second.stderr).toBe(1)
      const {error} = json(second)
      expect(error.message).toContain('claimed by worker alice')
      expect(error.message).toContain('not by `rigor claim` in this clone')
      expect(error.fix).toContain('rigor supervise')
    }
    expect(countActions(made.bare, 'verdict').get('h/one')).toBeUndefined()
    const first = rigor(a, ['run', 'h/one', '--remote', 'origin', '--json'])
    expect(first.code, first.stderr).toBe(0)
    expect(countActions(made.bare, 'verdict').get('h/one')).toBe(1)
    expect(git(made.bare, 'log', '-1', '--format=%s', 'main')).toContain('h/one')
  })
})
