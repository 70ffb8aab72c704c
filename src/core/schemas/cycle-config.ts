import * as z from 'zod'
import {Duration} from './common.js'
import {RankObjective} from './ranking.js'

/** Every step a cycle knows, in the order they make sense. */
export const CYCLE_STEPS = ['design', 'work', 'assess', 'audit', 'rank', 'report'] as const
export const CycleStepName = z.enum(CYCLE_STEPS)
export type CycleStepName = z.infer<typeof CycleStepName>

/** Without a `cycle:` section the cycle runs what it always ran: assess is asked for by listing it. */
export const DEFAULT_CYCLE_STEPS: readonly CycleStepName[] = ['design', 'work', 'audit', 'rank', 'report']

/**
 * What each step needs: it runs unless one of these failed (or was itself held
 * back by a failure). A skipped or disabled need holds nothing back. assess and
 * audit judge what work produced, so a failed work step leaves them nothing
 * whole to judge; design, work, rank and report stand alone, so a failed design
 * still works, ranks and reports (docs/cycle.md).
 */
export const STEP_NEEDS: Readonly<Record<CycleStepName, readonly CycleStepName[]>> = {
  design: [],
  work: [],
  assess: ['work'],
  audit: ['work'],
  rank: [],
  report: [],
}

const DEFAULT_RETRY_DELAY_MS = 10_000

const stepFields = {
  /** false takes the step out of the cycle, as if it were not in `steps` */
  enabled: z.boolean().default(true),
  /** true keeps the step in the cycle's record as `skipped` without running it */
  skip: z.boolean().default(false),
  /** how many more times a failed step is run before it counts as failed */
  retry: z.number().int().min(0).max(10).default(0),
  /** the wait before each retry */
  retry_delay: Duration.default(DEFAULT_RETRY_DELAY_MS),
}

export const CycleStepConfig = z.strictObject(stepFields)
export type CycleStepConfig = z.infer<typeof CycleStepConfig>

/** The rank step also says what to rank by; unset, the gates' metric (see flows/cycle-rank.ts), else sharpe. */
export const CycleRankConfig = z.strictObject({
  ...stepFields,
  objective: RankObjective.optional(),
  metric: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a metric name is a verdict metric key such as sharpe or accuracy')
    .optional(),
  /** whether a higher metric is better; default: lower for drawdown, volatility and turnover, else higher */
  direction: z.enum(['higher', 'lower']).optional(),
})
export type CycleRankConfig = z.infer<typeof CycleRankConfig>

const defaultStep = (): CycleStepConfig => CycleStepConfig.parse({})

/** rigor.yaml `cycle:`: which steps `rigor cycle` runs, in which order, and how each copes with failure. */
export const CycleConfig = z
  .strictObject({
    steps: z
      .array(CycleStepName)
      .min(1)
      .default([...DEFAULT_CYCLE_STEPS]),
    design: CycleStepConfig.default(defaultStep),
    work: CycleStepConfig.default(defaultStep),
    assess: CycleStepConfig.default(defaultStep),
    audit: CycleStepConfig.default(defaultStep),
    rank: CycleRankConfig.default(() => CycleRankConfig.parse({})),
    report: CycleStepConfig.default(defaultStep),
  })
  .superRefine((cycle, ctx) => {
    cycle.steps.forEach((step, i) => {
      if (cycle.steps.indexOf(step) !== i)
        ctx.addIssue({code: 'custom', path: ['steps', i], message: `step "${step}" is listed twice; list each step once`})
      for (const need of STEP_NEEDS[step]) {
        const at = cycle.steps.indexOf(need)
        if (at > i)
          ctx.addIssue({
            code: 'custom',
            path: ['steps', i],
            message: `step "${step}" needs "${need}", which comes after it; list "${need}" before "${step}"`,
          })
      }
    })
  })
export type CycleConfig = z.infer<typeof CycleConfig>
