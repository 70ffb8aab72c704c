import {execFileSync, spawnSync} from 'node:child_process'
import {join, resolve} from 'node:path'
import {BIN} from './cli.js'
import {GIT_ENV} from './git-repo.js'

const FIXTURES = resolve(__dirname, '../fixtures')

export const hasTmux = spawnSync('tmux', ['-V']).status === 0

/** the exit-code wrapper of rigorInTmux, which keeps its pane open on purpose: not a leftover */
export const isWrapper = (command: string) => command.includes('exit-code-wrapper.cjs')

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

export interface TmuxRigor {
  /** where the exit code is written when rigor ends */
  rcFile: string
  pane(): string
  keys(...keys: string[]): void
  /** ends the tmux server (for afterEach) */
  kill(): void
}

/** A rigor command under a real pseudo-terminal (a tmux pane of its own server), its exit code written to a file in .git. */
export function rigorInTmux(repoDir: string, args: string[]): TmuxRigor {
  const socket = `rigor-test-${process.pid}-${Math.random().toString(16).slice(2)}`
  const rcFile = join(repoDir, '.git', 'rc.txt')
  const env = Object.entries({...GIT_ENV, RIGOR_TEST_RC: rcFile}).map(([k, v]) => `${k}=${quote(v)}`)
  // exec: no shell stays in the foreground group, where a Ctrl-C could end it before the exit code is written
  const argv = [process.execPath, join(FIXTURES, 'exit-code-wrapper.cjs'), process.execPath, BIN, ...args]
  const command = `cd ${quote(repoDir)} && exec env ${env.join(' ')} ${argv.map(quote).join(' ')}`
  const tmux = (...a: string[]) => execFileSync('tmux', ['-L', socket, ...a], {encoding: 'utf8'})
  tmux('new-session', '-d', '-s', 'rigor', '-x', '150', '-y', '40', command)
  return {
    rcFile,
    pane: () => tmux('capture-pane', '-p', '-t', 'rigor'),
    keys: (...keys) => void tmux('send-keys', '-t', 'rigor', ...keys),
    kill: () => void spawnSync('tmux', ['-L', socket, 'kill-server']),
  }
}
