import {describe, expect, it} from 'vitest'
import {colorOn} from '../../../src/cli/color.js'
import {renderTable} from '../../../src/cli/table.js'

const ESC = '\u001b['

describe('colour', () => {
  it('only on a terminal, and never under NO_COLOR (set and not empty)', () => {
    expect(colorOn({isTTY: true}, {})).toBe(true)
    expect(colorOn({isTTY: false}, {})).toBe(false)
    expect(colorOn({}, {})).toBe(false)
    expect(colorOn({isTTY: true}, {NO_COLOR: '1'})).toBe(false)
    expect(colorOn({isTTY: true}, {NO_COLOR: ''})).toBe(true)
  })

  it('tables: coloured on a terminal, plain under NO_COLOR, tab-separated off a terminal', () => {
    const rows = [['a', 1]]
    expect(renderTable(['name', 'n'], rows, {stream: {isTTY: true}, env: {}})).toContain(ESC)
    const plain = renderTable(['name', 'n'], rows, {stream: {isTTY: true}, env: {NO_COLOR: '1'}})
    expect(plain).not.toContain(ESC)
    expect(plain).toContain('┌')
    expect(renderTable(['name', 'n'], rows, {stream: {isTTY: false}, env: {}})).toBe('name\tn\na\t1')
  })
})
