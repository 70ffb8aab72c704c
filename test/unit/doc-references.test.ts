import {readdirSync, readFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {describe, expect, it} from 'vitest'

const ROOT = resolve(__dirname, '../..')

function sources(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  )
}

/** Every "see docs/<page>.md, "<section>"" or "see README: <section>" a message or comment in src/ gives. */
function references(): {where: string; page: string; section?: string}[] {
  const found: {where: string; page: string; section?: string}[] = []
  for (const file of sources(join(ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(/\bsee (docs\/[\w-]+\.md|README)(?:(?:, |: )"?([^"')`\n]+)"?)?/gi)) {
      found.push({where: file.slice(ROOT.length + 1), page: m[1].toUpperCase() === 'README' ? 'README.md' : m[1], section: m[2]?.trim()})
    }
  }
  return found
}

describe('references to the docs in src/', () => {
  it('name a page that exists and a section that page has', () => {
    const refs = references()
    expect(refs.length).toBeGreaterThan(0)
    const wrong = refs.filter(({page, section}) => {
      let text: string
      try {
        text = readFileSync(join(ROOT, page), 'utf8').toLowerCase()
      } catch {
        return true
      }
      return section !== undefined && !text.includes(section.toLowerCase())
    })
    expect(wrong).toEqual([])
  })
})
