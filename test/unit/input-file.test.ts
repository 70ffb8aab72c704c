import {execFileSync, spawn} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {InputError} from '../../src/core/errors.js'
import {readInputFile} from '../../src/core/input-file.js'

let dir: string
afterEach(() => rmSync(dir, {recursive: true, force: true}))

const opts = {what: 'a seed spec', maxBytes: 1024, fix: 'give a spec'}
const refusal = (file: string): string => {
  try {
    readInputFile(file, opts)
  } catch (err) {
    expect(err).toBeInstanceOf(InputError)
    return (err as Error).message
  }
  return 'read'
}

describe('a file named on the command line', () => {
  it('is read whole up to the bound; over it, a directory, a device that never ends or a missing file is exit 2 naming it', () => {
    dir = mkdtempSync(join(tmpdir(), 'rigor-input-file-'))
    writeFileSync(join(dir, 'small.yaml'), 'nodes: []\n')
    writeFileSync(join(dir, 'large.yaml'), 'x'.repeat(1025))
    expect(readInputFile(join(dir, 'small.yaml'), opts).toString()).toBe('nodes: []\n')
    expect(refusal(join(dir, 'large.yaml'))).toBe(
      `${join(dir, 'large.yaml')}: is larger than 0.0009765625 MB, more than a seed spec can be`,
    )
    expect(refusal('/dev/zero')).toContain('/dev/zero: is larger than')
    expect(refusal(dir)).toBe(`${dir}: is a directory, not a seed spec`)
    expect(refusal(join(dir, 'missing.yaml'))).toBe(`${join(dir, 'missing.yaml')}: no such file`)
  })

  it("a FIFO (a shell's <(...)) is read to its end", async () => {
    dir = mkdtempSync(join(tmpdir(), 'rigor-input-file-'))
    const fifo = join(dir, 'spec.fifo')
    execFileSync('mkfifo', [fifo])
    const writer = spawn('sh', ['-c', `printf 'nodes: []\\n' > '${fifo}'`])
    const done = new Promise((resolve) => writer.on('close', resolve))
    expect(readInputFile(fifo, opts).toString()).toBe('nodes: []\n')
    await done
  })
})
