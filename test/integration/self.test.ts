import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'

const REPO = join(__dirname, '..', '..')

describe('this repository', () => {
  it('is a rigor workspace holding the example research program, and verifies clean', () => {
    const verify = rigor(REPO, ['verify', '--json'])
    expect(verify.code, verify.stdout).toBe(0)
    expect(json(verify).checked).toBeGreaterThan(40)
    const status = json(rigor(REPO, ['status', '--json']))
    expect(status.total).toBeGreaterThanOrEqual(41)
    expect(status.by_status.pending).toBe(0)
  })
})
