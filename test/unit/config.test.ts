import {describe, expect, it} from 'vitest'
import {parseConfig} from '../../src/core/state/config.js'

describe('rigor.yaml durations', () => {
  it('are milliseconds whether written or left to their defaults', () => {
    const defaults = parseConfig('version: 1\n', 'rigor.yaml')
    expect(defaults.lease.duration).toBe(15 * 60_000)
    expect(defaults.runner.default_timeout).toBe(3_600_000)
    const partial = parseConfig('version: 1\nlease: {max_attempts: 2}\nrunner: {}\n', 'rigor.yaml')
    expect(partial.lease.duration).toBe(15 * 60_000)
    expect(partial.runner.default_timeout).toBe(3_600_000)
    const written = parseConfig('version: 1\nlease: {duration: 2m}\nrunner: {default_timeout: 90}\n', 'rigor.yaml')
    expect(written.lease.duration).toBe(120_000)
    expect(written.runner.default_timeout).toBe(90_000)
  })
})
