import {createHash} from 'node:crypto'
import {statSync} from 'node:fs'
import {mkdir, readFile, rename, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import type {ConfigFile} from '../schemas/index.js'

/**
 * The last committed rigor.yaml this repository's commands parsed and checked,
 * kept as JSON beside the state cache. Parsing the YAML, checking it against the
 * schema and compiling its conditions is a fifth of a small command's start-up,
 * and the file rarely changes. An entry counts only for the very same text
 * (its SHA-256) read by the very same build of rigor: this module file's path,
 * size and modification time. In the CLI bundle the path carries a hash of the
 * chunk and of the chunks it imports, the schemas among them, so a new build
 * with another schema never reads an entry of an old one.
 */
export interface ConfigCache {
  /** the checked config of exactly this text, if this build checked it before */
  lookup(text: string): Promise<ConfigFile | undefined>
  /** records a config that passed every check (schema, names, conditions) */
  remember(text: string, config: ConfigFile): Promise<void>
}

interface Entry {
  build: string
  sha256: string
  config: ConfigFile
}

export function configCache(commonDir: string, moduleUrl: string = import.meta.url): ConfigCache {
  const file = join(commonDir, 'rigor', 'cache', 'config.json')
  const build = buildIdentity(moduleUrl)
  const digest = (text: string) => createHash('sha256').update(text).digest('hex')
  return {
    async lookup(text) {
      if (!build) return undefined
      try {
        const entry = JSON.parse(await readFile(file, 'utf8')) as Entry
        return entry.build === build && entry.sha256 === digest(text) ? entry.config : undefined
      } catch {
        return undefined
      }
    },
    async remember(text, config) {
      if (!build) return
      const entry: Entry = {build, sha256: digest(text), config}
      // a cache is best effort: a read-only .git or a full disk only costs the next command a parse
      try {
        await mkdir(join(file, '..'), {recursive: true})
        const tmp = `${file}.${process.pid}.tmp`
        await writeFile(tmp, JSON.stringify(entry))
        await rename(tmp, file)
      } catch {}
    },
  }
}

function buildIdentity(moduleUrl: string): string | undefined {
  try {
    const s = statSync(fileURLToPath(moduleUrl))
    return `${moduleUrl}|${s.size}|${s.mtimeMs}`
  } catch {
    return undefined
  }
}
