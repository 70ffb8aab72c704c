import {request} from 'node:http'

/** The status of a GET of `path` sent exactly as written (fetch would normalise it: dots, a leading `//`). */
export function rawStatus(base: string, path: string): Promise<number> {
  const {hostname, port} = new URL(base)
  return new Promise((resolvePromise, reject) => {
    const req = request({host: hostname, port, path, method: 'GET'}, (res) => {
      res.resume()
      resolvePromise(res.statusCode ?? 0)
    })
    req.on('error', reject)
    req.end()
  })
}
