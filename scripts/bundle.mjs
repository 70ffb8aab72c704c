#!/usr/bin/env node
// Bundles the CLI into dist/rigor.mjs (npm run build), so that a command starts
// by reading one file instead of resolving and evaluating several hundred ES
// modules: that loading was most of every command's start-up.
//
// The entry is written here from the files under src/commands, so a new
// command file is registered without anyone editing a list: it exports
// COMMANDS (oclif's "explicit" command strategy, package.json `oclif.commands`),
// the command_not_found hook, and run() for bin/run.js. Code a command reaches
// only through `await import()` lands in a chunk of its own under dist/chunks/
// and is read only when that command runs. The library API (dist/index.js) is
// still the plain tsc output.
import {readdirSync, rmSync, statSync} from 'node:fs'
import {dirname, join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'
import {build} from 'esbuild'

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
// What the CLI runs: each command is a stand-in whose run() imports the command's
// own chunk, so `rigor status` evaluates status's modules and no other command's.
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
// The real command classes, for scripts/manifest.js to read their flags and help from.
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

// Packages oclif loads at start-up but calls only on paths rigor never takes
// unless asked: `debug` (and the tty and net modules it loads) prints only under
// DEBUG; tinyglobby finds command files (rigor lists its commands); minimatch
// matches plugin names (rigor has none). Each is replaced by a stand-in that
// loads the real package on first use.
const LAZY = {
  debug: `module.exports = process.env.DEBUG ? require('debug') : Object.assign(function quiet() { const d = () => {}; d.enabled = false; d.extend = quiet; return d }, {enable() {}, disable() {}, enabled: () => false})`,
  tinyglobby: `module.exports = {get glob() { return require('tinyglobby').glob }}`,
  minimatch: `module.exports = {get minimatch() { return require('minimatch').minimatch }}`,
}
const lazyPackages = {
  name: 'lazy-packages',
  setup(b) {
    const filter = new RegExp(`^(${Object.keys(LAZY).join('|')})$`)
    b.onResolve({filter}, (args) => (args.namespace === 'lazy' ? undefined : {path: args.path, namespace: 'lazy'}))
    b.onLoad({filter: /.*/, namespace: 'lazy'}, (args) => ({contents: LAZY[args.path], resolveDir: root, loader: 'js'}))
  },
}

for (const old of ['chunks', 'rigor.mjs.map', 'commands.mjs.map']) rmSync(join(root, 'dist', old), {recursive: true, force: true})
await build({
  entryPoints: {rigor: 'rigor-cli-entry', commands: 'rigor-commands-entry'},
  plugins: [generatedEntries, lazyPackages],
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: join(root, 'dist'),
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: {'.js': '.mjs'},
  // the CommonJS inside (oclif) calls require(); an ES module has none of its own
  banner: {js: `import {createRequire as __rigorCreateRequire} from 'node:module'; const require = __rigorCreateRequire(import.meta.url);`},
  // oclif reads a tsconfig through typescript only for a CommonJS plugin in development; rigor is an ES module
  external: ['typescript'],
  // oclif warns when node does not satisfy its engines field, after loading semver (a sixth of its start-up) to check; npm already checks rigor's own
  define: {'process.env.OCLIF_DISABLE_ENGINE_WARNING': '"1"'},
  legalComments: 'none',
  // identifiers keep their names: error types are reported by their class names (`InputError`),
  // and esbuild's keepNames would pay for that with a call per function at every start-up
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
})
console.log(`bundled ${commands.length} commands into dist/rigor.mjs (classes for the manifest: dist/commands.mjs)`)
