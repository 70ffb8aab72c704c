import type {Workspace} from '../state/workspace.js'
import {ATTR, noTelemetry, type Telemetry} from '../telemetry/telemetry.js'
import {notify} from './notify.js'

/**
 * One cycle step as an observer sees it: a span (`step <name>`, a child of the
 * cycle's), a measurement of how long it took and whether it failed, and
 * notify.command told when it throws (the error goes on to the cycle).
 */
export async function observeStep<T>(
  ws: Workspace,
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
    await notify(ws, {kind: 'cycle_step_failed', cycle, step, error: (err as Error).message})
    throw err
  }
}
