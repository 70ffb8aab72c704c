import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {emptyValueError} from '../../../src/cli/flags.js'

const FLAGS = {
  remote: {type: 'option'},
  parallel: {type: 'option', char: 'p'},
  force: {type: 'boolean', char: 'f'},
}
const fieldOf = (argv: string[]) => emptyValueError(argv, FLAGS)?.message.match(/^field "([^"]+)"/)?.[1]

describe('an empty value on the command line', () => {
  it('names the flag whose value is empty, long, short or inline', () => {
    expect(fieldOf(['--remote', ''])).toBe('--remote')
    expect(fieldOf(['-p', ''])).toBe('--parallel')
    expect(fieldOf(['--remote='])).toBe('--remote')
    expect(fieldOf(['x', '--parallel', '2', '--remote', ''])).toBe('--remote')
  })

  it('is an argument after a switch, an unknown flag or on its own; after -- nothing is looked at', () => {
    expect(fieldOf([''])).toBe('arguments')
    expect(fieldOf(['--force', ''])).toBe('arguments')
    expect(fieldOf(['-f', ''])).toBe('arguments')
    expect(fieldOf(['--', ''])).toBeUndefined()
  })

  it('finds nothing where no word is empty (any words)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({minLength: 1}).filter((w) => !/^--[^=]+=$/.test(w))), (argv) => {
        expect(emptyValueError(argv, FLAGS)).toBeUndefined()
      }),
    )
  })
})
