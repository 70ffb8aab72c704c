/**
 * The command watchdog's program (see command-watchdog.ts): it reads, on its
 * stdin, which configured commands the rigor process that started it is
 * running, and when that pipe closes (rigor exited, however it exited: a
 * SIGKILL included) it kills those still running: their process groups, and
 * every process carrying their marker. It imports proc.ts alone, so it starts
 * quickly.
 */
import {createInterface} from 'node:readline'
import {killMarked, signalGroup, type RunOrigin} from './proc.js'

// rigor decides when its commands stop: a Ctrl-C or a batch system's SIGTERM reaches rigor, which stops them and
// leaves, and that closes the pipe
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {})

interface Watched {
  forks?: number
  origin?: RunOrigin
}

/** the commands running, by their marker entry (RIGOR_COMMAND_ID=...) */
const watched = new Map<string, Watched>()
const number = (text: string | undefined) => (text === undefined || text === '-' ? undefined : Number(text))

const lines = createInterface({input: process.stdin})
lines.on('line', (line) => {
  const [verb, entry, ...rest] = line.split(' ')
  if (!entry) return
  if (verb === 'watch') watched.set(entry, {forks: number(rest[0])})
  else if (verb === 'group') {
    const command = watched.get(entry)
    const pid = number(rest[0])
    if (command && pid) command.origin = {pid, startTime: number(rest[1]), forks: command.forks}
  } else if (verb === 'done') watched.delete(entry)
})
lines.on('close', () => {
  for (const [entry, command] of watched) {
    signalGroup(command.origin?.pid, 'SIGKILL')
    // those that left the group; without the group's leader known, every process carrying the marker (the leader too)
    killMarked(entry, command.origin)
  }
  process.exit(0)
})
