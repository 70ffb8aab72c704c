import {spawnSync} from 'node:child_process'
import {createServer} from 'node:net'

/** Whether a Prometheus tool (promtool, prometheus) is installed; tests that need it skip with a message when not. */
export function hasTool(name: string): boolean {
  return spawnSync(name, ['--version'], {encoding: 'utf8'}).status === 0
}

export interface ParsedSample {
  name: string
  labels: Record<string, string>
  value: number
}

/** The samples of a text exposition (comments skipped), with label values unescaped. */
export function parseExposition(text: string): ParsedSample[] {
  const samples: ParsedSample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line)
    if (!match) throw new Error(`not an exposition line: ${line}`)
    const labels: Record<string, string> = {}
    for (const pair of (match[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[pair[1]!] = pair[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
    const raw = match[4]!
    samples.push({name: match[1]!, labels, value: raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw)})
  }
  return samples
}

/** The sum of every sample named `name` whose labels include `where`. */
export function total(samples: ParsedSample[], name: string, where: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0)
}

/** A TCP port that was free a moment ago on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as {port: number}
      server.close(() => resolve(port))
    })
  })
}
