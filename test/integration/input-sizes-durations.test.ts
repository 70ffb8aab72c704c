import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {commitConfig, nodeSpec, workspace, writeSpec} from './helpers.js'

let repo: TempRepo | undefined
afterEach(() => repo?.cleanup())

describe('sizes and durations as users write them', () => {
  it('a size with a unit rigor does not know (1GiB, 10XB) or other text after the number is refused, not read as its leading digits', () => {
    repo = workspace()
    // bytes.parse read the leading number alone: 1GiB was a limit of 1 byte, and every output file was left out
    for (const size of ['1GiB', '10XB', '3e5', '12 apples', '1.5.5MB']) {
      commitConfig(repo, {runner: {limits: {file_size: size}}})
      const tip = repo.git('rev-parse', 'main')
      const result = rigor(repo.dir, ['status', '--json'])
      expect(result.code, `${size}: ${result.stdout}`).toBe(2)
      const error = json(result).error
      expect(error.message).toContain('rigor.yaml (at main), field "runner.limits.file_size"')
      expect(error.message).toContain(`"${size}" is not a size`)
      expect(error.fix).toContain('runner.limits.file_size')
      expect(repo.git('rev-parse', 'main')).toBe(tip)
    }
    for (const size of ['64KB', '5 MB', '1.5gb', ' 2GB ', 1024]) {
      commitConfig(repo, {runner: {limits: {file_size: size}}})
      expect(rigor(repo.dir, ['status', '--json']).code, String(size)).toBe(0)
    }
  })

  it('a bare number written as a string ("30" in YAML, a flag value) is seconds, as a number is, not milliseconds', () => {
    repo = workspace()
    commitConfig(repo, {lease: {duration: '30', max_attempts: 3}})
    writeSpec(repo.dir, {nodes: [nodeSpec('lease/quoted')]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const before = Date.now()
    const claim = rigor(repo.dir, ['claim', '--json'])
    expect(claim.code, claim.stderr).toBe(0)
    const node = parse(readFileSync(join(repo.dir, 'experiments/lease/quoted/node.yaml'), 'utf8'))
    // a lease of "30" ran out 30 ms after the claim; 30 seconds from a moment before the claim at the least
    expect(Date.parse(node.lease_until) - before).toBeGreaterThanOrEqual(30_000)
  })
})
