import {existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {InputError} from '../../../src/core/errors.js'
import {MANIFEST_FILE} from '../../../src/core/views/site/paths.js'
import {writeSiteFiles} from '../../../src/core/views/site/output.js'

let dir: string
afterEach(() => rmSync(dir, {recursive: true, force: true}))

/** A site folder as a checkout may hold it (site/ committed for GitHub Pages): a manifest and whatever links were committed. */
function setUp(manifest: Record<string, string>) {
  dir = mkdtempSync(join(tmpdir(), 'rigor-site-links-'))
  const out = join(dir, 'site')
  const victim = join(dir, 'victim')
  mkdirSync(out)
  mkdirSync(victim)
  writeFileSync(join(victim, 'notes.txt'), 'precious\n')
  writeFileSync(join(out, MANIFEST_FILE), JSON.stringify({version: 1, files: manifest}))
  return {out, victim}
}

describe('the site folder holds links (a hostile checkout)', () => {
  it('a link where the site writes a file is replaced, its target never written', async () => {
    const {out, victim} = setUp({'index.html': 'stale'})
    symlinkSync(join(victim, 'notes.txt'), join(out, 'index.html'))
    await writeSiteFiles(out, [{path: 'index.html', content: '<!doctype html>'}])
    expect(readFileSync(join(victim, 'notes.txt'), 'utf8')).toBe('precious\n')
    expect(lstatSync(join(out, 'index.html')).isFile()).toBe(true)
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toBe('<!doctype html>')
  })

  it('a linked folder is refused (exit 2), nothing written into it', async () => {
    const {out, victim} = setUp({})
    symlinkSync(victim, join(out, 'nodes'))
    const error = await writeSiteFiles(out, [{path: 'nodes/a.html', content: 'x'}]).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).message).toContain(`${join(out, 'nodes')} is not a folder (a symbolic link?)`)
    expect(existsSync(join(victim, 'a.html'))).toBe(false)
  })

  it('a file the last build wrote is not removed through a linked folder', async () => {
    const {out, victim} = setUp({'old/notes.txt': 'key'})
    symlinkSync(victim, join(out, 'old'))
    const stats = await writeSiteFiles(out, [{path: 'index.html', content: 'x'}])
    expect(stats.removed).toBe(0)
    expect(readFileSync(join(victim, 'notes.txt'), 'utf8')).toBe('precious\n')
  })
})
