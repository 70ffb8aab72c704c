import {createServer, type Server, type Socket} from 'node:net'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigorAsync} from '../helpers/cli.js'
import {waitFor} from '../helpers/processes.js'
import {manyNodes} from './helpers.js'
import {SH_OK} from '../fixtures/runners.js'
import {git, remoteWithClones, removeRoot} from './remote-helpers.js'

let root: string | undefined
let server: Server | undefined
const sockets: Socket[] = []
let running: Array<{kill: (sig?: NodeJS.Signals) => boolean}> = []
afterEach(() => {
  for (const child of running) child.kill('SIGKILL')
  running = []
  for (const socket of sockets.splice(0)) socket.destroy()
  server?.close()
  removeRoot(root)
})

/** A TCP server that accepts every connection and never says a word: an http:// remote that hangs. */
async function silentServer(): Promise<number> {
  server = createServer((socket) => sockets.push(socket))
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return (server.address() as {port: number}).port
}

/** A clone whose origin is the silent server. */
async function cloneOfSilentRemote(): Promise<string> {
  const made = remoteWithClones(1, manyNodes(1, SH_OK))
  root = made.root
  const clone = made.clones[0]!
  git(clone, 'remote', 'set-url', 'origin', `http://127.0.0.1:${await silentServer()}/state.git`)
  return clone
}

/** `rigor claim` in a clone whose origin is the silent server; the command is killed if it outlives `guardMs`. */
async function claimAgainstSilentRemote(env: Record<string, string>, guardMs = 30_000) {
  const clone = await cloneOfSilentRemote()
  const child = rigorAsync(clone, ['claim', '--remote', 'origin', '--json'], env)
  running.push(child)
  const guard = setTimeout(() => child.kill('SIGKILL'), guardMs)
  const result = await child
  clearTimeout(guard)
  return result
}

describe('a remote that accepts the connection and never answers', () => {
  // git fetch waited on it until killed: the claim, and every lease renewal of a running worker, with it
  it('the fetch is killed after RIGOR_REMOTE_TIMEOUT and the remote is unreachable', {timeout: 120_000}, async () => {
    // git's own bound on a stalled HTTP transfer is set far out, so rigor's time limit is what ends the fetch
    const result = await claimAgainstSilentRemote({RIGOR_REMOTE_TIMEOUT: '2', GIT_HTTP_LOW_SPEED_TIME: '3600'})
    expect(result.code, result.stderr).toBe(1)
    const {error} = json(result)
    expect(error.type).toBe('RemoteUnreachableError')
    expect(error.message).toContain('did not end in 2 s')
    expect(error.fix).toContain('RIGOR_REMOTE_TIMEOUT')
  })

  // curl's "Operation too slow" was not read as an unreachable remote: a worker stopped instead of waiting it out
  it("git's own bound on a stalled HTTP transfer ends it as an unreachable remote", {timeout: 120_000}, async () => {
    const result = await claimAgainstSilentRemote({GIT_HTTP_LOW_SPEED_LIMIT: '1', GIT_HTTP_LOW_SPEED_TIME: '1'})
    expect(result.code, result.stderr).toBe(1)
    const {error} = json(result)
    expect(error.type).toBe('RemoteUnreachableError')
    expect(error.message).toMatch(/operation too slow/i)
  })

  it('RIGOR_REMOTE_TIMEOUT that is not a number of seconds is refused, naming it (exit 2)', {timeout: 120_000}, async () => {
    const result = await claimAgainstSilentRemote({RIGOR_REMOTE_TIMEOUT: '5m'})
    expect(result.code, result.stderr).toBe(2)
    expect(json(result).error.message).toContain('RIGOR_REMOTE_TIMEOUT')
  })

  // a follower whose remote stops answering under it (its fetches every --poll) is waiting, not hung
  it('work --follow waits it out as an unreachable remote rather than hanging or ending', {timeout: 120_000}, async () => {
    const made = remoteWithClones(1, manyNodes(1, SH_OK))
    root = made.root
    const clone = made.clones[0]!
    const follower = rigorAsync(clone, ['work', '--follow', '--remote', 'origin', '--poll', '1s'], {
      RIGOR_REMOTE_TIMEOUT: '1',
      GIT_HTTP_LOW_SPEED_TIME: '3600',
    })
    running.push(follower)
    let exited = false
    void follower.then(() => (exited = true))
    const alive = (what: string, condition: () => boolean) => () => {
      if (exited) throw new Error(`the follower left before ${what}:\n${follower.output()}${follower.errors()}`)
      return condition()
    }
    await waitFor(
      'the node to be run',
      alive('the run', () => /proven_accepted bulk\/n0000/.test(follower.output())),
    )
    git(clone, 'remote', 'set-url', 'origin', `http://127.0.0.1:${await silentServer()}/state.git`)
    await waitFor(
      'the follower to wait for the remote',
      alive('it waited', () => /waiting: the remote is unreachable/.test(follower.output())),
    )
    follower.kill('SIGTERM')
    expect((await follower).code).toBe(143)
  })
})
