#!/usr/bin/env node
// Writes oclif.manifest.json, so that running one command loads only that
// command's module instead of importing every command to list them. The CLI's
// own COMMANDS (dist/rigor.cjs) are stand-ins that load a command when it runs,
// so the flags and help are read here from the real classes (dist/commands.cjs, deleted once read).
import {readFileSync, writeFileSync, rmSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Config} from '@oclif/core'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const file = join(root, 'oclif.manifest.json')
rmSync(file, {force: true})
const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
pjson.oclif.commands = {...pjson.oclif.commands, target: './dist/commands.cjs'}
const config = await Config.load({root, pjson})
const manifest = config.rootPlugin.manifest
writeFileSync(file, JSON.stringify(manifest, null, 2) + '\n')
console.log(`wrote ${Object.keys(manifest.commands).length} commands to oclif.manifest.json`)
// a build intermediate: the CLI itself never reads it
rmSync(join(root, 'dist', 'commands.cjs'), {force: true})
