import {describe, expect, it} from 'vitest'
import {parseConfig} from '../../src/core/state/config.js'
import {InputError} from '../../src/core/errors.js'
import {DEFAULT_RUNNER_LIMITS} from '../../src/core/schemas/index.js'

describe('runner.limits in rigor.yaml', () => {
  it('are bytes and counts, whether written or left to their defaults', () => {
    expect(parseConfig('version: 1\n', 'rigor.yaml').runner.limits).toEqual(DEFAULT_RUNNER_LIMITS)
    expect(parseConfig('version: 1\nrunner: {default_timeout: 5m}\n', 'rigor.yaml').runner.limits).toEqual(DEFAULT_RUNNER_LIMITS)
    const written = parseConfig('version: 1\nrunner: {limits: {notes: 1KB, file_size: 10MB, files: 20, run_log: 4096}}\n', 'rigor.yaml')
      .runner.limits
    expect(written).toEqual({...DEFAULT_RUNNER_LIMITS, notes: 1024, file_size: 10 * 1024 * 1024, files: 20, run_log: 4096})
  })

  it('refuses a value that is not a size or count with exit 2, naming the field', () => {
    for (const [yaml, field] of [
      ['{notes: banana}', 'runner.limits.notes'],
      ['{total_size: "-5MB"}', 'runner.limits.total_size'],
      ['{files: 1.5}', 'runner.limits.files'],
      ['{notes: 1GB}', 'runner.limits.notes'],
      ['{typo: 1}', 'runner.limits'],
    ] as const) {
      const attempt = () => parseConfig(`version: 1\nrunner: {limits: ${yaml}}\n`, 'rigor.yaml')
      expect(attempt).toThrow(InputError)
      expect(attempt).toThrow(field)
    }
  })

  it('says why a size or duration written as neither a number nor a string is refused, not only "Invalid input"', () => {
    // 1e400 is read by YAML as infinity, a list is neither form: each names the value and how to write one
    for (const [yaml, words] of [
      ['runner: {limits: {file_size: 1e400}}', 'Infinity is not a size; write bytes'],
      ['runner: {limits: {total_size: [1]}}', '[1] is not a size'],
      ['runner: {default_timeout: 1e400}', 'is not a duration; write seconds'],
      ['lease: {duration: {m: 5}}', 'is not a duration'],
    ] as const) {
      const attempt = () => parseConfig(`version: 1\n${yaml}\n`, 'rigor.yaml')
      expect(attempt).toThrow(InputError)
      expect(attempt).toThrow(words)
      expect(attempt).not.toThrow('Invalid input')
    }
  })
})
