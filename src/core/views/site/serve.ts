import {createReadStream} from 'node:fs'
import {hostHeaderAllowed} from '../../host-header.js'
import {stat} from 'node:fs/promises'
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import {extname, resolve, sep} from 'node:path'
import {InputError} from '../../errors.js'
import {CSP, LIVE_EVENTS_PATH} from './layout.js'
import {MANIFEST_FILE} from './paths.js'

export interface SiteServer {
  url: string
  port: number
  /** tells every open page that a new build landed (they reload) */
  announce: (build: string) => void
  close: () => Promise<void>
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
}

/** a comment line now and then keeps the event stream open through idle proxies */
const KEEPALIVE_MS = 15_000

/**
 * Serves the site's folder on loopback only, read-only (GET and HEAD), with
 * the page's own policy as a header too, and an event stream
 * (LIVE_EVENTS_PATH) that names the current build when a page connects and
 * each new build after: a live page reloads when it changes.
 */
export async function serveSite(dir: string, opts: {port: number; build: string; host?: string}): Promise<SiteServer> {
  const root = resolve(dir)
  const host = opts.host ?? '127.0.0.1'
  let build = opts.build
  // the port listened on (opts.port 0: the one the system picked)
  let port = opts.port
  const streams = new Set<ServerResponse>()
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end()
      else res.destroy()
    })
  })
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    // a page of another site whose name was rebound to 127.0.0.1 (DNS rebinding) sends that name: it reads nothing here
    if (!hostHeaderAllowed(host, port, req.headers.host)) return void res.writeHead(421).end()
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, {Allow: 'GET, HEAD'}).end()
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://localhost')
    } catch {
      // a target no URL can be made of (`//a:b`): the request's fault, not the server's
      return void res.writeHead(400).end()
    }
    if (url.pathname === LIVE_EVENTS_PATH) {
      res.writeHead(200, {'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive'})
      res.write(`retry: 1000\nevent: build\ndata: ${build}\n\n`)
      streams.add(res)
      req.on('close', () => streams.delete(res))
      return
    }
    let path: string
    try {
      path = decodeURIComponent(url.pathname)
    } catch {
      return void res.writeHead(400).end()
    }
    if (path.includes('\0')) return void res.writeHead(400).end()
    if (path.endsWith('/')) path += 'index.html'
    const file = resolve(root, `.${path}`)
    // inside the folder only; the manifest is the builder's, not the reader's
    if ((file !== root && !file.startsWith(root + sep)) || file === resolve(root, MANIFEST_FILE)) return void notFound(res)
    const info = await stat(file).catch(() => undefined)
    if (!info?.isFile()) return void notFound(res)
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': info.size,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': CSP,
    })
    if (req.method === 'HEAD') return void res.end()
    createReadStream(file).pipe(res)
  }
  const keepalive = setInterval(() => {
    for (const s of streams) s.write(': keepalive\n\n')
  }, KEEPALIVE_MS)
  keepalive.unref()
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE' || err.code === 'EACCES'
          ? new InputError(
              `cannot serve on ${host}:${opts.port}: ${err.code === 'EADDRINUSE' ? 'the port is in use' : 'permission denied'}`,
              {
                field: '--serve',
                fix: 'pick another port (or 0 for any free one)',
              },
            )
          : err,
      ),
    )
    server.listen(opts.port, host, () => resolvePromise())
  })
  const address = server.address()
  port = typeof address === 'object' && address ? address.port : opts.port
  return {
    url: `http://${host}:${port}/`,
    port,
    announce: (next) => {
      build = next
      for (const s of streams) s.write(`event: build\ndata: ${next}\n\n`)
    },
    close: async () => {
      clearInterval(keepalive)
      for (const s of streams) s.end()
      streams.clear()
      await new Promise<void>((r) => {
        server.close(() => r())
        server.closeAllConnections()
      })
    },
  }
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, {'Content-Type': 'text/plain; charset=utf-8'}).end('not found\n')
}
