import * as z from 'zod'
import {parseSize} from '../validation.js'
import {numberOrText} from './common.js'

const sizeProblem = (value: unknown) => {
  const parsed = parseSize(value)
  return parsed.ok ? undefined : parsed.problem
}

/** A size as bytes or a string such as "64KB", "50MB"; parsed to bytes. */
export const Size = numberOrText(sizeProblem).transform((value, ctx) => {
  const parsed = parseSize(value)
  if (!parsed.ok) {
    ctx.addIssue({code: 'custom', message: parsed.problem})
    return z.NEVER
  }
  return parsed.value
})

const MB = 1024 * 1024

/**
 * What one run may leave in its verdict and out/ (rigor.yaml `runner.limits`).
 * Beyond them, notes and run.log are truncated and metrics and files left out,
 * each recorded in the verdict: a runner cannot make the state slow to read.
 */
export const DEFAULT_RUNNER_LIMITS = {
  notes: 64 * 1024,
  metrics: 500,
  files: 1000,
  file_size: 50 * MB,
  total_size: 200 * MB,
  run_log: 1 * MB,
} as const

const bounded = (max: number, what: string) => Size.refine((n) => n <= max, `${what} can be at most ${max / MB}MB`)

// zod returns a default as it is, without the Size transform: defaults are already bytes
export const RunnerLimits = z
  .strictObject({
    notes: bounded(16 * MB, 'notes').default(DEFAULT_RUNNER_LIMITS.notes),
    metrics: z.number().int().nonnegative().max(100_000).default(DEFAULT_RUNNER_LIMITS.metrics),
    files: z.number().int().nonnegative().max(1_000_000).default(DEFAULT_RUNNER_LIMITS.files),
    file_size: Size.default(DEFAULT_RUNNER_LIMITS.file_size),
    total_size: Size.default(DEFAULT_RUNNER_LIMITS.total_size),
    run_log: bounded(256 * MB, 'run_log').default(DEFAULT_RUNNER_LIMITS.run_log),
  })
  .default({...DEFAULT_RUNNER_LIMITS})
export type RunnerLimits = z.infer<typeof RunnerLimits>
