import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

const SCRIPT = resolve(__dirname, '../../scripts/check-links.mjs')
const dir = mkdtempSync(join(tmpdir(), 'rigor-links-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

/** The broken links scripts/check-links.mjs names for a README and one docs page. */
function broken(readme: string, page: string): string[] {
  rmSync(join(dir, 'docs'), {recursive: true, force: true})
  mkdirSync(join(dir, 'docs'))
  writeFileSync(join(dir, 'README.md'), readme)
  writeFileSync(join(dir, 'docs', 'page.md'), page)
  try {
    execFileSync(process.execPath, [SCRIPT], {cwd: dir, encoding: 'utf8', stdio: 'pipe'})
    return []
  } catch (err) {
    return ((err as {stderr: string}).stderr.match(/broken link \S+/g) ?? []).map((l) => l.slice('broken link '.length))
  }
}

describe('scripts/check-links.mjs', () => {
  it("takes a heading's id as GitHub makes it: `_` kept, a repeated heading numbered", () => {
    const page = '# Page\n\n### artifact_store\n\n## Results\n\n## Results\n\n## `notify.command` and *more*\n'
    const good =
      '[a](docs/page.md#artifact_store) [b](docs/page.md#results) [c](docs/page.md#results-1) [d](docs/page.md#notifycommand-and-more)\n'
    expect(broken(good, page)).toEqual([])
    // the ids GitHub does not make
    const bad = '[a](docs/page.md#artifactstore) [b](docs/page.md#results-2) [c](docs/page.md#nope)\n'
    expect(broken(bad, page)).toEqual(['docs/page.md#artifactstore', 'docs/page.md#results-2', 'docs/page.md#nope'])
  })
})
