import {mkdtempSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {afterEach, describe, expect, it} from 'vitest'
import {configCache} from '../../src/core/state/config-cache.js'
import {parseConfig} from '../../src/core/state/config.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, {recursive: true, force: true})
})

function scratch() {
  const dir = mkdtempSync(join(tmpdir(), 'rigor-config-cache-'))
  dirs.push(dir)
  // stands in for the module whose build the entries belong to
  const module = join(dir, 'build.mjs')
  writeFileSync(module, 'export {}\n')
  return {commonDir: join(dir, 'git'), moduleUrl: pathToFileURL(module).href, module}
}

describe('the config cache', () => {
  const text = 'version: 1\nlease: {duration: 2m}\n'

  it('answers only for the very text it was given, with the config as checked', async () => {
    const {commonDir, moduleUrl} = scratch()
    const cache = configCache(commonDir, moduleUrl)
    expect(await cache.lookup(text)).toBeUndefined()
    await cache.remember(text, parseConfig(text, 'rigor.yaml'))
    const hit = await configCache(commonDir, moduleUrl).lookup(text)
    expect(hit).toEqual(JSON.parse(JSON.stringify(parseConfig(text, 'rigor.yaml'))))
    expect(hit?.lease.duration).toBe(120_000)
    // one more space is another file: it is parsed and checked again
    expect(await cache.lookup(`${text} `)).toBeUndefined()
  })

  it('does not hand an entry of one build of rigor to another', async () => {
    const {commonDir, moduleUrl, module} = scratch()
    await configCache(commonDir, moduleUrl).remember(text, parseConfig(text, 'rigor.yaml'))
    writeFileSync(module, 'export const rebuilt = true\n')
    utimesSync(module, new Date(), new Date(Date.now() + 5000))
    expect(await configCache(commonDir, moduleUrl).lookup(text)).toBeUndefined()
  })

  it('is best effort: an unreadable or unwritable cache costs a parse, never an error', async () => {
    const {commonDir, moduleUrl} = scratch()
    // a file where the cache directory should be: nothing can be written below it
    writeFileSync(commonDir, 'not a directory')
    const cache = configCache(commonDir, moduleUrl)
    await expect(cache.remember(text, parseConfig(text, 'rigor.yaml'))).resolves.toBeUndefined()
    expect(await cache.lookup(text)).toBeUndefined()
  })
})
