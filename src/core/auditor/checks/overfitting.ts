import {
  deflatedSharpeRatio,
  kurtosis,
  negligibleSpread,
  probabilityOfBacktestOverfitting,
  skewness,
  standardDeviation,
  varianceOfSharpeRatios,
} from '../../stats/index.js'
import {perPeriodSharpe, skipped, type CheckContext, type CheckOutcome} from './context.js'

/**
 * The Sharpe ratio deflated for the number of trials of its family and their
 * spread (Bailey & López de Prado 2014): the deciding overfitting test.
 * With fewer than two trials whose returns rigor holds, the spread of
 * skill-free trials of this length, 1 / (T - 1), stands in for the observed one.
 */
export function dsrCheck(c: CheckContext): CheckOutcome {
  const name = 'overfitting.dsr'
  const returns = [...c.returns.values()]
  // too short a record proves no edge: skipped, the deciding overfitting test let an audit PASS on a handful of returns
  if (returns.length < MIN_DSR_RETURNS) return tooShort(name, returns.length, c.t.min_dsr)
  const mean = returns.reduce((a, b) => a + b, 0) / returns.length
  if (negligibleSpread(standardDeviation(returns), mean))
    return skipped(name, 'the returns never vary, so they have no Sharpe ratio to deflate')
  const sharpes = c.family.members.map((m) => perPeriodSharpe(m.returns.values()))
  const nTrials = c.family.trials
  const observedSpread = sharpes.length > 1
  const variance = observedSpread ? varianceOfSharpeRatios(sharpes) : nTrials > 1 ? 1 / (returns.length - 1) : 0
  const sharpe = perPeriodSharpe(returns)
  const {dsr, sr0} = deflatedSharpeRatio({
    sharpe,
    nTrials,
    varianceOfTrialSharpes: variance,
    nObs: returns.length,
    skewness: skewness(returns),
    kurtosis: kurtosis(returns),
  })
  const figures = {
    dsr,
    sharpe_per_period: sharpe,
    sharpe_annualised: sharpe * Math.sqrt(c.t.periods_per_year),
    periods_per_year: c.t.periods_per_year,
    sr0_per_period: sr0,
    trials: nTrials,
    trials_outside: c.family.trials_outside_declared + c.family.trials_outside_runners,
    var_trials_per_period: variance,
    var_trials_source: observedSpread
      ? `${sharpes.length} trials' returns`
      : nTrials > 1
        ? 'no spread observed: 1 / (T - 1), the spread of skill-free trials'
        : 'one trial: nothing was selected',
    n_obs: returns.length,
    family: c.family.counted,
  }
  const threshold = {min_dsr: c.t.min_dsr}
  if (dsr >= c.t.min_dsr) return {check: {name, result: 'pass', figures, threshold}, issues: []}
  return {
    check: {name, result: 'fail', figures, threshold},
    issues: [
      {
        severity: 'major',
        category: 'overfitting',
        description: `after deflating for ${nTrials} trial(s) the probability that the true Sharpe ratio is positive is ${dsr.toFixed(3)}, below ${c.t.min_dsr} (${c.family.counted})`,
        location: 'the node and its family in the DAG',
        remediation: 'fewer, better-motivated variants; a longer out-of-sample record; or accept that the edge is not proven',
      },
    ],
  }
}

/** Fewer returns than this say nothing about a Sharpe ratio's skew and kurtosis, nor about the edge. */
const MIN_DSR_RETURNS = 10

function tooShort(name: string, n: number, minDsr: number): CheckOutcome {
  return {
    check: {name, result: 'fail', figures: {n_obs: n, min_n_obs: MIN_DSR_RETURNS}, threshold: {min_dsr: minDsr}},
    issues: [
      {
        severity: 'major',
        category: 'overfitting',
        description: `the out-of-sample record holds ${n} return(s); the deflated Sharpe ratio needs at least ${MIN_DSR_RETURNS} to judge the edge, so it is not proven`,
        location: 'returns.csv of the runner',
        remediation: 'a longer out-of-sample record: more data, or a runner that reports every out-of-sample period',
      },
    ],
  }
}

/**
 * CSCV over the family's returns on common dates: how often the in-sample
 * winner is below the median out of sample. A weak detector alone (on pure-noise
 * families it exceeds 0.5 about half the time), so it is reported (`info`) and
 * fails the audit only with `audit.pbo_decides: true`.
 */
export function pboCheck(c: CheckContext): CheckOutcome {
  const name = 'overfitting.pbo'
  const members = c.family.members
  if (members.length < c.t.min_pbo_trials)
    return skipped(name, `the family has ${members.length} trial(s) with returns; PBO needs at least ${c.t.min_pbo_trials}`)
  const dates = [...members[0]!.returns.keys()].filter((d) => members.every((f) => f.returns.has(d))).sort()
  if (dates.length < 2 * c.t.pbo_splits)
    return skipped(name, `only ${dates.length} dates common to the family; ${c.t.pbo_splits} splits need ${2 * c.t.pbo_splits}`)
  const rows = dates.map((d) => members.map((f) => f.returns.get(d)!))
  const result = probabilityOfBacktestOverfitting(rows, {splits: c.t.pbo_splits})
  const figures = {
    pbo: result.pbo,
    trials: members.length,
    rows: result.rowsUsed,
    splits: result.nSplits,
    combinations: result.combinations,
    probability_of_loss: result.probabilityOfLoss,
  }
  const threshold = {max_pbo: c.t.max_pbo, decides: c.t.pbo_decides}
  if (!c.t.pbo_decides)
    return {
      check: {
        name,
        result: 'info',
        figures,
        threshold,
        reason: 'reported only: DSR decides overfitting (audit.pbo_decides: true lets PBO fail the audit)',
      },
      issues: [],
    }
  if (result.pbo <= c.t.max_pbo) return {check: {name, result: 'pass', figures, threshold}, issues: []}
  return {
    check: {name, result: 'fail', figures, threshold},
    issues: [
      {
        severity: 'major',
        category: 'overfitting',
        description: `the probability of backtest overfitting of this family is ${result.pbo.toFixed(2)} over ${result.combinations} combinations: the best in-sample variant usually disappoints out of sample`,
        location: 'the node and its family in the DAG',
        remediation: 'choose among variants on data the selection never saw, or shrink the search',
      },
    ],
  }
}
