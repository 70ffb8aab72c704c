#!/usr/bin/env node
// Writes oclif.manifest.json, so that running one command loads only that
// command's module instead of importing every command to list them.
import {writeFileSync, rmSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Config} from '@oclif/core'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const file = join(root, 'oclif.manifest.json')
rmSync(file, {force: true})
const config = await Config.load({root})
const manifest = config.rootPlugin.manifest
writeFileSync(file, JSON.stringify(manifest, null, 2) + '\n')
console.log(`wrote ${Object.keys(manifest.commands).length} commands to oclif.manifest.json`)
