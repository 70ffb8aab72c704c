import {describe, expect, it} from 'vitest'
import {parseDecimal} from '../../src/core/validation.js'

describe('parseDecimal: numbers handed in on the command line', () => {
  it('reads decimals with an exponent, and whole numbers in digits only', () => {
    expect(parseDecimal('1e-3', false)).toEqual({ok: true, value: 0.001})
    expect(parseDecimal(' -0.5 ', false)).toEqual({ok: true, value: -0.5})
    expect(parseDecimal('9007199254740991', true)).toEqual({ok: true, value: Number.MAX_SAFE_INTEGER})
    for (const text of ['0x10', '1e1', '2.0', '', 'abc'])
      expect(parseDecimal(text, true)).toMatchObject({ok: false, problem: expect.stringMatching(/is not a whole number/)})
    for (const text of ['Infinity', 'NaN', '1,5', ''])
      expect(parseDecimal(text, false)).toMatchObject({ok: false, problem: expect.stringMatching(/is not a decimal number/)})
  })

  it('says a number is too large rather than not a number when it is written right but past what a double holds', () => {
    expect(parseDecimal('1e400', false)).toEqual({ok: false, problem: `"1e400" is too large: at most ${Number.MAX_VALUE} in magnitude`})
    expect(parseDecimal('-1e400', false)).toMatchObject({ok: false, problem: expect.stringMatching(/too large/)})
    expect(parseDecimal('9007199254740992', true)).toEqual({
      ok: false,
      problem: `"9007199254740992" is too large: at most ${Number.MAX_SAFE_INTEGER} in magnitude`,
    })
  })
})
