#!/usr/bin/env node
// The CLI is one bundle (npm run build writes dist/rigor.mjs): see scripts/bundle.mjs.
// `rigor --version` needs nothing of it: answered here, in oclif's words, before
// the bundle (and oclif with it) is even read.
if (process.argv.length === 3 && process.argv[2] === '--version') {
  const {readFileSync} = await import('node:fs')
  const {name, version} = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${name}/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  // Node 22.1+ keeps V8's compiled code of the bundle between runs (a third of start-up); older Node has no such call
  const {default: nodeModule} = await import('node:module')
  nodeModule.enableCompileCache?.()
  const {run} = await import('../dist/rigor.mjs')
  await run(import.meta.url)
}
