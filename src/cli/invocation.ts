import {realpathSync} from 'node:fs'
import {isAbsolute, relative} from 'node:path'
import {programOnPath} from '../core/proc.js'

/**
 * How the user can run this very rigor again from their shell: `rigor` when the
 * first `rigor` on PATH is this one (npm link, a global install), otherwise
 * `node /path/to/bin/run.js` (a checkout run as `node bin/run.js`, or another
 * rigor first on PATH). Printed in hints such as the demo's "Try next".
 */
export interface Invocation {
  /** the words to type before a command, e.g. `rigor` or `node /opt/rigor/bin/run.js` */
  prefix: string
  /** whether `rigor` on PATH is this rigor */
  onPath: boolean
  /** `rigor` on PATH when it is another rigor */
  other?: string
}

export interface InvocationInput {
  /** this rigor's bin/run.js */
  bin: string
  /** the command's name (`rigor`) */
  name: string
  env?: NodeJS.ProcessEnv
  /** the node running now */
  execPath?: string
}

export function howToRun(input: InvocationInput): Invocation {
  const env = input.env ?? process.env
  const self = real(input.bin)
  const found = programOnPath(input.name, env.PATH)
  if (found && real(found) === self) return {prefix: input.name, onPath: true}
  // `node` when the node on PATH is the one running now, else this node by its path
  const execPath = input.execPath ?? process.execPath
  const nodeOnPath = programOnPath('node', env.PATH)
  const node = nodeOnPath && real(nodeOnPath) === real(execPath) ? 'node' : shellQuote(execPath)
  return {prefix: `${node} ${shellQuote(input.bin)}`, onPath: false, other: found}
}

function real(path: string): string {
  try {
    return realpathSync(path)
  } catch {
    return path
  }
}

/** A word the shell reads back as it is. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
}

/** A directory as the user can type it from `cwd`: relative when it is below, absolute otherwise. */
export function dirFrom(cwd: string, dir: string): string {
  const rel = relative(cwd, dir)
  return shellQuote(rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? dir : rel)
}
