#!/usr/bin/env node
// Writes schemas/*.schema.json (the file kinds) and schemas/output/*.schema.json
// (each command's --json result) from the zod schemas in dist/ (npm run schemas
// builds first). test/unit/cli/json-schemas.test.ts fails when they drift.
import {mkdirSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {generateJsonSchemas, renderJsonSchema, SCHEMAS_DIR} from '../dist/cli/schemas/generate.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const schemas = generateJsonSchemas()
// a schema whose kind or command is gone must go too
for (const dir of [SCHEMAS_DIR, `${SCHEMAS_DIR}/output`]) {
  mkdirSync(join(root, dir), {recursive: true})
  for (const name of readdirSync(join(root, dir)))
    if (name.endsWith('.schema.json') && !schemas.has(`${dir}/${name}`)) rmSync(join(root, dir, name))
}
for (const [path, schema] of schemas) writeFileSync(join(root, path), renderJsonSchema(schema))
console.log(`wrote ${schemas.size} schemas to ${SCHEMAS_DIR}/`)
