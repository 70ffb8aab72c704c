import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {afterEach, describe, expect, it} from 'vitest'
import {GitFailedError, RemoteUnreachableError} from '../../src/core/errors.js'
import {RemoteLink} from '../../src/core/git/remote.js'
import {Repo} from '../../src/core/git/repo.js'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'

/**
 * A remote over HTTPS that is down answers through curl: a 502 or 503 from the host's proxy, a 429 while it sheds
 * load, a port nobody listens on. Those are outages, which `work --follow` and `supervise --interval` wait out (and
 * a verdict is tried again); taken for lasting failures, they ended the worker. A 403 is a refusal, and stays one.
 */
let repo: TempRepo | undefined
const servers: Server[] = []
afterEach(async () => {
  repo?.cleanup()
  repo = undefined
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

/** An HTTP server that answers every request with `status`; its URL. */
async function answering(status: number): Promise<string> {
  const server = createServer((_, res) => {
    res.writeHead(status)
    res.end('no\n')
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/lab.git`
}

/** A URL on a port that was just closed: nobody listens there. */
async function closedPort(): Promise<string> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const {port} = server.address() as AddressInfo
  await new Promise((r) => server.close(r))
  return `http://127.0.0.1:${port}/lab.git`
}

async function linkTo(url: string): Promise<{link: RemoteLink; close: () => void; tip: string}> {
  repo = gitRepo()
  repo.git('commit', '-q', '--allow-empty', '-m', 'first')
  repo.git('remote', 'add', 'origin', url)
  const opened = await Repo.open(repo.dir)
  return {link: new RemoteLink(opened, 'origin', 'main'), close: () => opened.close(), tip: repo.git('rev-parse', 'HEAD')}
}

describe('a remote over HTTP that is down', () => {
  for (const [what, url] of [
    ['a 502 from its proxy', () => answering(502)],
    ['a 503', () => answering(503)],
    ['a 429 (too many requests)', () => answering(429)],
    ['a port nobody listens on', closedPort],
  ] as const) {
    it(`${what} is an unreachable remote, for a fetch and a push`, async () => {
      const {link, close, tip} = await linkTo(await url())
      try {
        await expect(link.fetch()).rejects.toBeInstanceOf(RemoteUnreachableError)
        await expect(link.push(tip, undefined)).rejects.toBeInstanceOf(RemoteUnreachableError)
      } finally {
        close()
      }
    })
  }

  it('a 403 is a refusal, not an outage', async () => {
    const {link, close} = await linkTo(await answering(403))
    try {
      const failed = await link.fetch().catch((err: unknown) => err)
      expect(failed).toBeInstanceOf(GitFailedError)
      expect(failed).not.toBeInstanceOf(RemoteUnreachableError)
    } finally {
      close()
    }
  })
})
