import {afterEach, describe, expect, it} from 'vitest'
import {watchRefs, type RefWatch} from '../../src/core/git/ref-watch.js'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'
import {waitFor} from '../helpers/processes.js'

/** The watch behind `rigor work --follow`: each way git moves a ref is seen, without the fallback poll. */

let repo: TempRepo
let watch: RefWatch | undefined
afterEach(async () => {
  await watch?.close()
  watch = undefined
  repo?.cleanup()
})

describe('watchRefs', () => {
  it('sees a commit, an update-ref, a packed ref moved and a ref under a folder; not other branches', async () => {
    repo = gitRepo()
    repo.git('commit', '-q', '--allow-empty', '-m', 'one')
    repo.git('update-ref', 'refs/heads/research/state', 'HEAD')
    repo.git('branch', 'other')
    const commonDir = repo.git('rev-parse', '--path-format=absolute', '--git-common-dir')
    const seen: Record<string, number> = {main: 0, state: 0}
    const watches = await Promise.all([
      watchRefs(commonDir, ['refs/heads/main'], () => seen.main++),
      watchRefs(commonDir, ['refs/heads/research/state'], () => seen.state++),
    ])
    watch = {close: async () => void (await Promise.all(watches.map((w) => w.close())))}
    const moved = async (what: string, key: 'main' | 'state', act: () => void) => {
      const before = seen[key]!
      act()
      await waitFor(what, () => seen[key]! > before, 30_000)
    }
    await moved('a commit on main', 'main', () => repo.git('commit', '-q', '--allow-empty', '-m', 'two'))
    await moved('update-ref of the folder ref', 'state', () => repo.git('update-ref', 'refs/heads/research/state', 'HEAD'))
    repo.git('pack-refs', '--all')
    await moved('a packed main moved', 'main', () => repo.git('commit', '-q', '--allow-empty', '-m', 'three'))
    // pack-refs rewrote packed-refs, which both watches see; let those events pass first
    await new Promise((r) => setTimeout(r, 1000))
    const quiet = seen.state
    repo.git('update-ref', 'refs/heads/other', 'HEAD')
    await new Promise((r) => setTimeout(r, 1000))
    // another branch moving is not news for a watch of research/state
    expect(seen.state).toBe(quiet)
  })
})
