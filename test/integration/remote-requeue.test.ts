import {join, resolve} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, rigorAsync} from '../helpers/cli.js'
import {sleep, waitForPids} from '../helpers/processes.js'
import {countActions, remoteWithClones, removeRoot} from './remote-helpers.js'

// apart from remote.test.ts, so that neither file takes over 90 s on a loaded machine
const FIXTURES = resolve(__dirname, '../fixtures')
let root: string | undefined
afterEach(() => removeRoot(root))

describe('a lost worker, through one git remote', () => {
  it('a worker killed in one clone is re-queued by a supervisor in another and finished once', async () => {
    const config = `version: 1\nteams: [{name: default}]\ngates: [{name: g, accept_when: 'metrics.sharpe > 0.0'}]\nlease: {duration: 3s, max_attempts: 3}`
    // no sandbox: the runner writes its pid under the host's /tmp, which a sandbox hides
    const made = remoteWithClones(
      2,
      {nodes: [{id: 'k/victim', team: 'default', run: {command: ['node', join(FIXTURES, 'slow-runner.cjs')], sandbox: 'off'}}]},
      config,
    )
    root = made.root
    const {bare, clones} = made
    const pids = join(root, 'pids.txt')
    const doomed = rigorAsync(clones[0]!, ['work', '--remote', 'origin', '--worker', 'doomed'], {
      RIGOR_TEST_SLEEP_MS: '60000',
      RIGOR_PIDS_FILE: pids,
    })
    const runner = await waitForPids(pids, 1)
    doomed.kill('SIGKILL')
    await doomed
    for (const pid of runner) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {}
    }
    await sleep(3500)
    const sup = json(rigor(clones[1]!, ['supervise', '--once', '--remote', 'origin', '--json']))
    expect(sup.supervised.requeued).toEqual(['k/victim'])
    const rescue = json(rigor(clones[1]!, ['work', '--remote', 'origin', '--worker', 'rescuer', '--json'], {RIGOR_TEST_SLEEP_MS: '100'}))
    expect(rescue.finished).toBe(1)
    expect(countActions(bare, 'verdict').get('k/victim')).toBe(1)
    const shown = json(rigor(clones[0]!, ['show', 'k/victim', '--remote', 'origin', '--json']))
    expect(shown.verdict).toMatchObject({worker: 'rescuer', attempt: 2, status: 'proven_accepted'})
  })
})
