// Every relative link in README.md and docs/*.md must name a file (and heading) inside the repository.
// Run from the repository root: node scripts/check-links.mjs
import {existsSync, readFileSync, readdirSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
const prose = (file) => readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '')
const slug = (heading) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\- ]/gu, '')
    .replace(/ /g, '-')
const anchors = (file) =>
  new Set(
    prose(file)
      .split('\n')
      .filter((l) => /^#{1,6} /.test(l))
      .map((l) => slug(l.replace(/^#+ /, ''))),
  )
const files = [
  'README.md',
  ...readdirSync('docs')
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
]
let broken = 0
for (const file of files) {
  for (const [, target] of prose(file).matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/i.test(target)) continue
    const [path, anchor] = target.split('#')
    const to = path ? join(dirname(file), path) : file
    const inside = resolve(to).startsWith(`${process.cwd()}/`)
    if (inside && existsSync(to) && (!anchor || !to.endsWith('.md') || anchors(to).has(anchor))) continue
    console.error(`${file}: broken link ${target}`)
    broken++
  }
}
console.log(`${files.length} files checked, ${broken} broken link(s)`)
process.exit(broken ? 1 : 0)
