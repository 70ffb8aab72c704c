import {Flags} from '@oclif/core'

/** The flags that describe a return series' moments, shared by the stats commands. */
export const returnMomentFlags = {
  skew: Flags.string({description: 'skewness of the returns (default 0)', helpValue: '<number>'}),
  kurtosis: Flags.string({description: 'plain kurtosis of the returns, 3 for normal (default 3)', helpValue: '<number>'}),
  'n-obs': Flags.string({description: 'number of return observations T', helpValue: '<integer>'}),
  returns: Flags.string({
    description: 'CSV of returns (column "return" or the last numeric one); replaces --sharpe, --skew, --kurtosis, --n-obs',
    helpValue: '<file>',
  }),
  'periods-per-year': Flags.string({description: 'Sharpe ratios are annualised at this many periods a year', helpValue: '<number>'}),
}
