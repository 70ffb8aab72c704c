import {isIPv4} from 'node:net'

/**
 * Whether a request's Host header may be answered. On a loopback address only
 * the names of this machine's loopback (the address listened on, localhost,
 * 127.0.0.1, [::1]) with the port: a page of another site reaches a loopback
 * server only through a name it rebound, which it sends. On any other address
 * the server is meant for other machines, under names rigor cannot know.
 */
export function hostHeaderAllowed(listenHost: string, port: number, header: string | undefined): boolean {
  if (!isLoopback(listenHost)) return true
  if (header === undefined) return false
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(header.toLowerCase())
  if (!match) return false
  const [, name, given] = match
  if (given === undefined ? port !== 80 : Number(given) !== port) return false
  const bare = name!.replace(/^\[|\]$/g, '')
  return bare === 'localhost' || bare === listenHost.toLowerCase() || isLoopback(bare)
}

function isLoopback(host: string): boolean {
  const name = host.toLowerCase()
  if (name === 'localhost' || name === '::1') return true
  return isIPv4(name) && name.startsWith('127.')
}
