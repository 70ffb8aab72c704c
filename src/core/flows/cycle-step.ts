import {ATTR, noTelemetry, type Telemetry} from '../telemetry/telemetry.js'

/**
 * One attempt of a cycle step as an observer sees it: a span (`step <name>`, a
 * child of the cycle's) and a measurement of how long it took and whether it
 * failed. notify.command hears of a step that failed for good (flows/cycle.ts).
 */
export async function observeStep<T>(
  telemetry: Telemetry = noTelemetry,
  cycle: string,
  step: string,
  fn: (telemetry: Telemetry) => Promise<T>,
): Promise<T> {
  const started = performance.now()
  const seconds = () => Math.round(performance.now() - started) / 1000
  try {
    const value = await telemetry.span(`step ${step}`, {[ATTR.step]: step, [ATTR.cycleId]: cycle}, fn)
    telemetry.measure({kind: 'cycle_step', step, outcome: 'ok', duration_s: seconds()})
    return value
  } catch (err) {
    telemetry.measure({kind: 'cycle_step', step, outcome: 'failed', duration_s: seconds()})
    throw err
  }
}
