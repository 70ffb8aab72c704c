// Every relative link in README.md and docs/*.md must name a file (and heading) inside the repository.
// Run from the repository root: node scripts/check-links.mjs
import {existsSync, readFileSync, readdirSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
const prose = (file) => readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '')
// GitHub's heading ids (github-slugger): the heading's text (a link's target and HTML tags dropped) in lower
// case, every character but letters, digits, marks, `_`, `-` and spaces removed (code ticks, `*`, `.`), spaces
// made `-`; a repeated id gets -1, -2, ...
const slug = (heading) =>
  heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-')
const anchors = (file) => {
  const seen = new Map()
  const ids = new Set()
  for (const line of prose(file).split('\n')) {
    const heading = /^ {0,3}#{1,6} +(.*?)(?: +#+)? *$/.exec(line)
    if (!heading) continue
    const id = slug(heading[1])
    const n = seen.get(id) ?? 0
    seen.set(id, n + 1)
    ids.add(n ? `${id}-${n}` : id)
  }
  return ids
}
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
