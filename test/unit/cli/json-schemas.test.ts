import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {Ajv2020} from 'ajv/dist/2020.js'
import {parse} from 'yaml'
import {describe, expect, it} from 'vitest'
import {FILE_KINDS} from '../../../src/cli/schemas/files.js'
import {fileSchemaPath, generateJsonSchemas, renderJsonSchema, SCHEMAS_DIR} from '../../../src/cli/schemas/generate.js'
import {EDITOR_SCHEMAS} from '../../../src/core/flows/init.js'

const ROOT = resolve(__dirname, '../../..')
const committed = (path: string) => readFileSync(join(ROOT, path), 'utf8')
const schemaFiles = (dir: string) =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.schema.json'))
    .map((f) => `${dir}/${f}`)

describe('JSON Schemas (schemas/, from `npm run schemas`)', () => {
  const generated = generateJsonSchemas()

  it('are what the zod schemas give today: run `npm run schemas` and commit the diff when this fails', () => {
    for (const [path, schema] of generated) {
      expect(existsSync(join(ROOT, path)), `${path} is missing`).toBe(true)
      expect(committed(path), path).toBe(renderJsonSchema(schema))
    }
    expect([...schemaFiles(SCHEMAS_DIR), ...schemaFiles(`${SCHEMAS_DIR}/output`)].sort()).toEqual([...generated.keys()].sort())
  })

  it('are valid JSON Schemas (draft 2020-12)', () => {
    const ajv = new Ajv2020({strict: false})
    for (const [path, schema] of generated) expect(() => ajv.compile(schema), path).not.toThrow()
  })

  it('accept the files rigor ships, and those files name them in a modeline that resolves', () => {
    const ajv = new Ajv2020({strict: false, allErrors: true})
    const shipped: Array<[string, string]> = [
      ['rigor.yaml', 'rigor-yaml'],
      ['templates/rigor.yaml', 'rigor-yaml'],
      ['assets/init/rigor.yaml', 'rigor-yaml'],
      ['templates/demo-seed.yaml', 'seed-spec'],
      ['assets/init/seed.example.yaml', 'seed-spec'],
    ]
    for (const [file, kind] of shipped) {
      const validate = ajv.compile(JSON.parse(committed(fileSchemaPath(kind))))
      expect(validate(parse(committed(file))), `${file}: ${JSON.stringify(validate.errors)}`).toBe(true)
    }
    // where `rigor init` writes them: rigor.yaml at the root, the seed spec under templates/, the schemas under schemas/
    const modeline = (text: string) => /^# yaml-language-server: \$schema=(\S+)$/m.exec(text.split('\n')[0])?.[1]
    expect(modeline(committed('assets/init/rigor.yaml'))).toBe('./schemas/rigor-yaml.schema.json')
    expect(modeline(committed('assets/init/seed.example.yaml'))).toBe('../schemas/seed-spec.schema.json')
    expect([...EDITOR_SCHEMAS].sort()).toEqual(['rigor-yaml.schema.json', 'seed-spec.schema.json'])
    for (const name of EDITOR_SCHEMAS) expect(existsSync(join(ROOT, SCHEMAS_DIR, name))).toBe(true)
  })

  it('cover every file kind', () => {
    expect(FILE_KINDS.map((k) => k.name)).toContain('rigor-yaml')
    expect(new Set(FILE_KINDS.map((k) => k.name)).size).toBe(FILE_KINDS.length)
  })

  it("are each named in the README's list of file kinds", () => {
    const list = /`schemas\/<kind>\.schema\.json` for every file kind \(([^)]*)\)/.exec(committed('README.md').replace(/\s+/g, ' '))
    expect(list, 'the README lists the file kinds').not.toBeNull()
    const named = [...list![1].matchAll(/`([a-z-]+)`/g)].map((m) => m[1]).sort()
    expect(named).toEqual(FILE_KINDS.map((k) => k.name).sort())
  })
})
