import {Flags} from '@oclif/core'
import {numberFlag} from './flags.js'

/** The flags that describe a return series' moments, shared by the stats commands. */
export const returnMomentFlags = {
  skew: numberFlag()({description: 'skewness of the returns (default 0)'}),
  kurtosis: numberFlag()({description: 'plain kurtosis of the returns, 3 for normal (default 3)'}),
  'n-obs': numberFlag({integer: true, min: 2})({description: 'number of return observations T'}),
  returns: Flags.string({
    description: 'CSV of returns (column "return" or the last numeric one); replaces --sharpe, --skew, --kurtosis, --n-obs',
    helpValue: '<file>',
  }),
  'periods-per-year': numberFlag({above: 0})({description: 'Sharpe ratios are annualised at this many periods a year'}),
}
