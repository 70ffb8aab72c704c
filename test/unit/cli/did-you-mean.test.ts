import {describe, expect, it} from 'vitest'
import {suggestCommands} from '../../../src/cli/did-you-mean.js'
import {editDistance} from '../../../src/core/validation.js'

const KNOWN = [
  'status',
  'stats',
  'stats dsr',
  'stats psr',
  'show',
  'seed',
  'handoff',
  'handoff create',
  'handoff list',
  'rules',
  'rules replay',
]

describe('did you mean', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('stauts', 'status')).toBe(1)
    expect(editDistance('abc', 'abc')).toBe(0)
    expect(editDistance('', 'abc')).toBe(3)
  })

  it('suggests the closest commands, a topic for its commands, and nothing for noise', () => {
    expect(suggestCommands('stauts', KNOWN)).toEqual(['stats', 'status'])
    expect(suggestCommands('stats dsrr', KNOWN)).toEqual(['stats dsr', 'stats psr'])
    expect(suggestCommands('stats:dsrr', KNOWN)).toEqual(['stats dsr', 'stats psr'])
    expect(suggestCommands('hand', KNOWN)).toEqual(['handoff'])
    expect(suggestCommands('rules replya', KNOWN)).toEqual(['rules replay'])
    expect(suggestCommands('xyzzy', KNOWN)).toEqual([])
    expect(suggestCommands('', KNOWN)).toEqual([])
  })
})
