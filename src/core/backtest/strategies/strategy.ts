import type * as z from 'zod'

/**
 * A trading rule over one price series.
 *
 * `positions(closes, params)[t]` is the position decided at the close of bar t
 * from closes[0..t] only, and held until the close of bar t+1 (the engine pays it
 * the return of bar t+1). +1 is fully long, -1 fully short, 0 flat; overlays may
 * lever beyond 1. A strategy must never read closes after t: the auditor's
 * truncation check compares positions with and without the later data.
 *
 * `out`, when given, receives the positions (length closes.length), so a sweep can
 * reuse one buffer for every variant instead of allocating per run.
 */
export interface Strategy<P = unknown> {
  readonly name: string
  /** one line for `--help` and reports */
  readonly summary: string
  /** validates RIGOR_PARAMS-style input and fills the defaults; unknown keys are ignored */
  readonly params: z.ZodType<P>
  /** the parameter names this strategy reads, to tell the user which given params it ignored */
  readonly paramNames: readonly string[]
  positions(closes: Float64Array, params: P, out?: Float64Array): Float64Array
}

/** The output buffer for `closes`, checked or created. */
export function positionBuffer(closes: Float64Array, out: Float64Array | undefined): Float64Array {
  if (out === undefined) return new Float64Array(closes.length)
  if (out.length !== closes.length) throw new RangeError(`positions buffer has length ${out.length}, expected ${closes.length}`)
  return out
}
