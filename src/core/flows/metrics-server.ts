import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {hostHeaderAllowed} from '../host-header.js'
import {asRigorError, InputError} from '../errors.js'
import {treeEntryAt} from '../git/tree-walk.js'
import {CONFIG_FILE} from '../state/layout.js'
import type {Workspace} from '../state/workspace.js'
import {renderExposition} from '../views/exposition.js'
import {MetricsCollector} from '../views/metrics.js'

/** The content type of the Prometheus text format that `rigor metrics` writes. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

export interface ServeSummary {
  url: string
  scrapes: number
  failed: number
}

/**
 * Serves GET /metrics until `signal` aborts: each scrape calls `scrape` for the
 * text (scrapes that arrive together share one reading). A scrape that fails
 * answers 500 with the reason and is told to `onError`; the server goes on.
 */
export async function serveMetrics(opts: {
  host: string
  port: number
  signal: AbortSignal
  scrape: () => Promise<string>
  onListening?: (url: string) => void
  onError?: (error: Error) => void
}): Promise<ServeSummary> {
  let scrapes = 0
  let failed = 0
  let inFlight: Promise<string> | undefined
  const read = () => {
    inFlight ??= opts.scrape().finally(() => {
      inFlight = undefined
    })
    return inFlight
  }
  let port = opts.port
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    // a web page whose own name was rebound to 127.0.0.1 (DNS rebinding) sends that name: it reads nothing here
    if (!hostHeaderAllowed(opts.host, port, req.headers.host)) {
      res.writeHead(421, {'content-type': 'text/plain'}).end('misdirected request: address this server by its address\n')
      return
    }
    let path: string
    try {
      path = new URL(req.url ?? '/', 'http://localhost').pathname
    } catch {
      // a target no URL can be made of (`//a:b`): the request's fault; thrown here, it would end the server
      res.writeHead(400, {'content-type': 'text/plain'}).end('bad request target\n')
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, {allow: 'GET, HEAD', 'content-type': 'text/plain'}).end('only GET\n')
      return
    }
    if (path !== '/metrics') {
      res.writeHead(path === '/' ? 200 : 404, {'content-type': 'text/plain'}).end('rigor metrics: GET /metrics\n')
      return
    }
    try {
      const text = await read()
      scrapes++
      res.writeHead(200, {'content-type': EXPOSITION_CONTENT_TYPE, 'content-length': Buffer.byteLength(text)})
      res.end(req.method === 'HEAD' ? undefined : text)
    } catch (err) {
      failed++
      opts.onError?.(err as Error)
      // the reason and what to change, as the command line would print them
      res.writeHead(500, {'content-type': 'text/plain'}).end(`rigor metrics failed: ${asRigorError(err).report}\n`)
    }
  }
  const server = createServer((req, res) => void handle(req, res))
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new InputError(`cannot listen on ${opts.host}:${opts.port}: ${err.code ?? err.message}`, {
          field: '--serve',
          fix: err.code === 'EADDRINUSE' ? 'choose a free port (0 picks one)' : 'check --host and --serve',
        }),
      ),
    )
    server.listen(opts.port, opts.host, resolve)
  })
  const address = server.address() as AddressInfo
  port = address.port
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `http://${host}:${address.port}/metrics`
  opts.onListening?.(url)
  if (!opts.signal.aborted) await new Promise<void>((resolve) => opts.signal.addEventListener('abort', () => resolve(), {once: true}))
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return {url, scrapes, failed}
}

/**
 * The metrics of a workspace for a long-lived server: each scrape reads the
 * branch tip (fetching it first with --remote); when a commit changed
 * rigor.yaml, the workspace is opened again so that the budget and teams are
 * the committed ones. What a commit says is kept between scrapes (MetricsCollector).
 */
export class WorkspaceScraper {
  private current: Workspace
  private configOid?: string | null
  private readonly collector = new MetricsCollector()

  constructor(
    private readonly opened: Workspace,
    private readonly reopen: () => Promise<Workspace>,
  ) {
    this.current = opened
  }

  async scrape(): Promise<string> {
    if (this.current.distributed) await this.current.refresh()
    const tip = await this.current.readTip()
    const configOid = tip ? ((await treeEntryAt(this.current.repo, await this.current.repo.commitTree(tip), CONFIG_FILE)) ?? null) : null
    if (this.configOid !== undefined && this.configOid !== configOid) {
      const fresh = await this.reopen()
      fresh.onWarning = this.opened.onWarning
      await this.closeReopened()
      this.current = fresh
    }
    this.configOid = configOid
    return renderExposition((await this.collector.collect(this.current)).families)
  }

  /** Closes a workspace this scraper opened itself; the first one is its opener's to close. */
  async closeReopened(): Promise<void> {
    if (this.current !== this.opened) await this.current.close()
    this.current = this.opened
  }
}
