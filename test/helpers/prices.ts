import {parsePrices} from '../../src/core/backtest/prices.js'
import {InputError} from '../../src/core/errors.js'

/** The InputError the kit's price reader refuses `text` with (as prices.csv); throws when it reads the text. */
export function pricesProblem(text: string): InputError {
  try {
    parsePrices(text, 'prices.csv')
  } catch (error) {
    if (error instanceof InputError) return error
    throw error
  }
  throw new Error('expected an InputError')
}
