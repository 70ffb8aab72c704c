#!/usr/bin/env node
// The CLI is one CommonJS bundle (npm run build writes dist/rigor.cjs: see
// scripts/bundle.mjs). `rigor --version` needs nothing of it: answered here, in
// oclif's words, before the bundle (and oclif with it) is even read.
import {mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {createRequire, Module} from 'node:module'
import {homedir} from 'node:os'
import {isAbsolute, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Script} from 'node:vm'

/**
 * A regular expression that backtracks excessively moves to V8's linear-time engine: CEL's `matches` means RE2, which
 * never backtracks, and a rule's pattern must not hold a worker for hours (src/core/state/conditions.ts).
 */
const LINEAR_REGEXP_FALLBACK = '--enable-experimental-regexp-engine-on-excessive-backtracks'

if (process.argv.length === 3 && process.argv[2] === '--version') {
  const {name, version} = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${name}/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  const tiering = tieringFor(process.argv[2])
  // set before the bundle is compiled, for every command: V8's code cache holds a hash of the flags it was made under,
  // and a flag set later (conditions.ts sets this one when it builds a CEL environment) made every command that
  // evaluates a condition refuse its cache and write it again at every run
  process.getBuiltinModule('node:v8').setFlagsFromString(`${LINEAR_REGEXP_FALLBACK}${tiering ? ` ${tiering.flags}` : ''}`)
  const {run} = loadBundle(fileURLToPath(new URL('../dist/rigor.cjs', import.meta.url)), tiering?.cache ?? '')
  await run(import.meta.url)
}

/**
 * V8 flags for one command, set before the bundle is compiled. `rigor work` is
 * a loop of many short functions run for every node, beside runners that need
 * the machine's cores: V8's optimizing compiler spent 0.6-0.9 s of background
 * CPU on them per 300 instant nodes. With a 16 times larger interrupt budget
 * only the really hot ones are optimized, and the whole process tree's CPU fell
 * by about a seventh (docs/benchmarks.md, tenth pass). Not for every command:
 * the kits' backtests and the auditor's statistics are hot numeric code that
 * wants the optimizer early (`rigor demo` took longer with it). The command's
 * code cache is a file of its own, as V8 refuses a cache made under other flags.
 */
function tieringFor(command) {
  if (command === 'work') return {flags: '--interrupt-budget=1081344', cache: '-work'}
  return undefined
}

/**
 * Evaluates the bundle as Node's CommonJS loader would, but compiled through
 * `vm.Script` with V8's code cache: compiling 2 MB of JavaScript was a third
 * of every command's start-up, and Node 20 keeps no compiled code between runs
 * by itself. The cache lives in ~/.cache/rigor (or $XDG_CACHE_HOME/rigor;
 * RIGOR_CODE_CACHE=off turns it off), one file per build of rigor, Node
 * version, architecture and V8 flags (tieringFor); it is written once, when a
 * run found none (or V8 refused it: other V8 flags), at the end of that run, so
 * that it holds the functions the command compiled too. Any failure to read or
 * write it only costs time.
 */
function loadBundle(file, variant) {
  // latin1: the build makes the bundle ASCII (scripts/ascii-bundle.mjs), where latin1 reads the same text as a copy of
  // its bytes; Node 20 decodes 2 MB of UTF-8 in 12-17 ms, a twentieth of `rigor status`
  const source = readFileSync(file, 'latin1')
  const cacheFile = codeCacheFile(source, variant)
  let cachedData
  try {
    if (cacheFile) cachedData = readFileSync(cacheFile)
  } catch {}
  // the wrapper stays on the bundle's first line, so stack traces keep its line numbers
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {filename: file, cachedData})
  const module = new Module(file, null)
  module.filename = file
  module.paths = Module._nodeModulePaths(join(file, '..'))
  // oclif requires this file for its commands and hook (package.json `oclif`): it finds this module already loaded
  const require = createRequire(file)
  require.cache[file] = module
  script.runInThisContext()(module.exports, require, module, file, join(file, '..'))
  module.loaded = true
  if (cacheFile && (!cachedData || script.cachedDataRejected)) process.once('exit', () => writeCodeCache(cacheFile, script))
  return module.exports
}

/** Where this build's code cache is (for V8 flags of a `variant`), or undefined when there is none to use. */
function codeCacheFile(source, variant) {
  const build = /^\/\/ rigor-build ([0-9a-f]+)\n/.exec(source)?.[1]
  if (!build || process.env.RIGOR_CODE_CACHE === 'off') return undefined
  try {
    const xdg = process.env.XDG_CACHE_HOME
    const base = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache')
    return join(base, 'rigor', `cli-${build}-${process.version}-${process.arch}${variant}.v8`)
  } catch {
    return undefined
  }
}

function writeCodeCache(cacheFile, script) {
  try {
    const dir = join(cacheFile, '..')
    mkdirSync(dir, {recursive: true})
    // written aside and renamed: another rigor starting now reads the old file or the whole new one
    const temporary = `${cacheFile}.${process.pid}.tmp`
    writeFileSync(temporary, script.createCachedData())
    renameSync(temporary, cacheFile)
    // other builds' caches (an upgrade, a rebuild) go once nobody has written them for a week
    const weekAgo = Date.now() - 7 * 24 * 3600 * 1000
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (name.startsWith('cli-') && path !== cacheFile && statSync(path).mtimeMs < weekAgo) rmSync(path, {force: true})
    }
  } catch {}
}
