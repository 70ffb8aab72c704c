#!/usr/bin/env node
// Bundles the CLI into one CommonJS file, dist/rigor.cjs (npm run build), so that a
// command starts by reading one file instead of resolving and evaluating several
// hundred ES modules: that loading was most of every command's start-up. It is
// CommonJS so that bin/run.js can compile it through `vm.Script` and keep V8's
// compiled code between runs (a code cache, see bin/run.js): Node 20 can cache
// the code of a script but not of an ES module, and compiling the bundle was a
// third of `rigor status`. With the cache, the size of the bundle costs little,
// so every command is in it (esbuild splits only ES modules into chunks).
//
// The entry is written here from the files under src/commands, so a new
// command file is registered without anyone editing a list: it exports
// COMMANDS (oclif's "explicit" command strategy, package.json `oclif.commands`),
// the command_not_found hook, and run() for bin/run.js. The OpenTelemetry SDK
// (1 MB, used only when OTEL_EXPORTER_OTLP_ENDPOINT is set) is a bundle of its
// own, dist/otel.cjs, required on first use. The library API (dist/index.js) is
// still the plain tsc output.
import {createHash} from 'node:crypto'
import {readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {dirname, join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'
import {build} from 'esbuild'
import {asciiBundle} from './ascii-bundle.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const commandsDir = join(root, 'src', 'commands')

/** Every command source file, as [oclif id, path relative to the project root]. */
function commandFiles(dir) {
  const found = []
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) found.push(...commandFiles(path))
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) {
      // a topic's own command (cycle/index.ts) is the topic's id, as oclif's pattern strategy has it
      const id = relative(commandsDir, path)
        .replace(/\.ts$/, '')
        .split(/[\\/]/)
        .join(':')
        .replace(/:index$/, '')
      found.push([id, `./${relative(root, path).split(/[\\/]/).join('/')}`])
    }
  }
  return found
}

const commands = commandFiles(commandsDir)
// What the CLI runs: each command is a stand-in whose run() loads the command's
// module when it runs (its module-level code, schemas included, runs only then).
// oclif needs only run() from it (`Config.runCommand` calls `command.run(argv, config)`);
// the flags, arguments and help text come from oclif.manifest.json.
const cliEntry = [
  `export {run} from './src/cli/main.ts'`,
  `export {default as notFoundHook} from './src/cli/hooks/not-found.ts'`,
  `function lazy(id, load) {`,
  `  return {async run(argv, config) { const command = (await load()).default; command.id = id; return command.run(argv, config) }}`,
  `}`,
  `export const COMMANDS = {`,
  ...commands.map(([id, path]) => `  ${JSON.stringify(id)}: lazy(${JSON.stringify(id)}, () => import('${path}')),`),
  `}`,
].join('\n')
// The real command classes, for scripts/manifest.js to read their flags and help from (deleted once it has).
const classesEntry = [
  ...commands.map(([, path], i) => `import Command${i} from '${path}'`),
  `export const COMMANDS = {${commands.map(([id], i) => `${JSON.stringify(id)}: Command${i}`).join(', ')}}`,
].join('\n')

/** esbuild reads the two generated entries from here. */
const entries = {'rigor-cli-entry': cliEntry, 'rigor-commands-entry': classesEntry}
const generatedEntries = {
  name: 'generated-entries',
  setup(b) {
    b.onResolve({filter: /^rigor-(cli|commands)-entry$/}, (args) => ({path: args.path, namespace: 'entry'}))
    b.onLoad({filter: /.*/, namespace: 'entry'}, (args) => ({contents: entries[args.path], resolveDir: root, loader: 'ts'}))
  },
}

/** What rigor's sources import from yaml: the lazy stand-in below provides exactly these. */
const YAML_NAMES = ['parseDocument', 'stringify', 'isMap', 'isScalar']
/** Source files under src/, recursively. */
function sourceFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sourceFiles(path) : name.endsWith('.ts') ? [path] : []
  })
}
for (const file of sourceFiles(join(root, 'src'))) {
  const source = readFileSync(file, 'utf8')
  if (/import\s+(?!type\b)[\w*][^{]*from\s*'yaml'/.test(source))
    throw new Error(`${relative(root, file)} imports yaml whole: import the names it uses (the stand-in provides YAML_NAMES)`)
  for (const [, names] of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'yaml'/g)) {
    for (const name of names.split(',').map((n) =>
      n
        .trim()
        .split(/\s+as\s+/)[0]
        .trim(),
    )) {
      if (name && !name.startsWith('type ') && !YAML_NAMES.includes(name))
        throw new Error(`${relative(root, file)} imports ${name} from yaml: add it to YAML_NAMES in scripts/bundle.mjs`)
    }
  }
}

// Packages loaded at start-up but called only on paths rigor never takes
// unless asked: `debug` (and the tty and net modules it loads) prints only under
// DEBUG; tinyglobby finds command files (rigor lists its commands); minimatch
// matches plugin names (rigor has none); yaml parses and writes what rigor's own
// plain YAML reader and writer do not (a hand-edited rigor.yaml, a workflow
// file). Each is replaced by a stand-in that loads the real package on first
// use; a stand-in lists the names rigor imports (the build fails on another).
const LAZY = {
  debug: `module.exports = process.env.DEBUG ? require('debug') : Object.assign(function quiet() { const d = () => {}; d.enabled = false; d.extend = quiet; return d }, {enable() {}, disable() {}, enabled: () => false})`,
  tinyglobby: `module.exports = {get glob() { return require('tinyglobby').glob }}`,
  minimatch: `module.exports = {get minimatch() { return require('minimatch').minimatch }}`,
  // rigor reads and writes its own YAML with plain-yaml.ts; the yaml package only for anything else
  yaml: `module.exports = {${YAML_NAMES.map((name) => `get ${name}() { return require('yaml').${name} }`).join(', ')}}`,
}
const lazyPackages = {
  name: 'lazy-packages',
  setup(b) {
    const filter = new RegExp(`^(${Object.keys(LAZY).join('|')})$`)
    b.onResolve({filter}, (args) => (args.namespace === 'lazy' ? undefined : {path: args.path, namespace: 'lazy'}))
    b.onLoad({filter: /.*/, namespace: 'lazy'}, (args) => ({contents: LAZY[args.path], resolveDir: root, loader: 'js'}))
  },
}

// oclif sorts the commands of every plugin by String#localeCompare at start-up, and the first
// localeCompare of a process loads ICU's collation data (15 ms, a twentieth of `rigor status`).
// rigor's command ids are lower-case ASCII words joined by ':' and '-', which sort the same by
// code units; the build fails if oclif's line changes, rather than quietly keeping the cost.
const OCLIF_COMMAND_SORT = '.sort((a, b) => a.id.localeCompare(b.id));'
const oclifCommandOrder = {
  name: 'oclif-command-order',
  setup(b) {
    b.onLoad({filter: /[\\/]@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/}, (args) => {
      const source = readFileSync(args.path, 'utf8')
      if (!source.includes(OCLIF_COMMAND_SORT))
        throw new Error(`${args.path}: oclif's command sort changed; update oclifCommandOrder in scripts/bundle.mjs`)
      return {contents: source.replace(OCLIF_COMMAND_SORT, '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));'), loader: 'js'}
    })
  },
}

// src/cli/telemetry.ts imports the SDK module dynamically; in the CLI that is dist/otel.cjs, beside the bundle
const otelApart = {
  name: 'otel-apart',
  setup(b) {
    b.onResolve({filter: /\/telemetry\/otel\.js$/}, () => ({path: './otel.cjs', external: true}))
  },
}

const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // `import()` of a bundled module becomes a require of it; of dist/otel.cjs, a require of that file:
  // the code cache cannot keep a dynamic import's loader on Node 20, and none is needed
  supported: {'dynamic-import': false},
  // oclif reads a tsconfig through typescript only for a CommonJS plugin in development; rigor is an ES module
  external: ['typescript'],
  define: {
    // oclif warns when node does not satisfy its engines field, after loading semver (a sixth of its start-up) to check; npm already checks rigor's own
    'process.env.OCLIF_DISABLE_ENGINE_WARNING': '"1"',
    // the sources find the package's own files (templates, assets) from their module's URL: in a bundle, the bundle's
    'import.meta.url': '__rigorModuleUrl',
  },
  banner: {js: `const __rigorModuleUrl = require('node:url').pathToFileURL(__filename).href;`},
  legalComments: 'none',
  // identifiers keep their names: error types are reported by their class names (`InputError`),
  // and esbuild's keepNames would pay for that with a call per function at every start-up
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
}

const dist = join(root, 'dist')
for (const old of ['chunks', 'rigor.mjs', 'commands.mjs', 'rigor.cjs', 'otel.cjs', 'commands.cjs'])
  rmSync(join(dist, old), {recursive: true, force: true})
await Promise.all([
  build({
    ...common,
    entryPoints: ['rigor-cli-entry'],
    plugins: [generatedEntries, lazyPackages, otelApart, oclifCommandOrder],
    outfile: join(dist, 'rigor.cjs'),
  }),
  build({
    ...common,
    entryPoints: ['rigor-commands-entry'],
    plugins: [generatedEntries, lazyPackages, otelApart],
    outfile: join(dist, 'commands.cjs'),
  }),
  build({...common, entryPoints: [join(root, 'src', 'core', 'telemetry', 'otel.ts')], outfile: join(dist, 'otel.cjs')}),
])
// The code cache is keyed by this line (bin/run.js): V8 checks only the length of the source it was made from.
const bundle = join(dist, 'rigor.cjs')
const code = asciiBundle(readFileSync(bundle, 'utf8'), 'dist/rigor.cjs')
writeFileSync(bundle, `// rigor-build ${createHash('sha256').update(code).digest('hex').slice(0, 32)}\n${code}`)
console.log(`bundled ${commands.length} commands into dist/rigor.cjs (classes for the manifest: dist/commands.cjs)`)
