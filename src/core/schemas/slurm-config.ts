import * as z from 'zod'
import {
  MAX_WORKER_SLOTS,
  moduleNameProblem,
  parseSlurmTime,
  sbatchOptionProblem,
  scratchPathProblem,
  singleLineProblem,
  slurmMemoryProblem,
  slurmPartitionProblem,
} from '../validation.js'
import {Duration, numberOrText} from './common.js'

/** A string refined by one of validation.ts's checks, so rigor.yaml and the flags are held to the same rule. */
const checked = (problem: (value: unknown) => string | undefined) =>
  z.string().superRefine((value, ctx) => {
    const why = problem(value)
    if (why) ctx.addIssue({code: 'custom', message: why})
  })

/**
 * A value sbatch also takes as a bare number (time: 90 is 90 minutes, mem: 4000 is 4000 megabytes), which YAML reads
 * as a number: kept as the text sbatch is given, and checked as that text.
 */
const numberAsText = (problem: (value: unknown) => string | undefined) =>
  numberOrText(problem)
    .transform((value) => String(value))
    .pipe(checked(problem))

const SetupLine = z.string().superRefine((line, ctx) => {
  const why = line.trim() === '' ? 'a setup line is empty' : singleLineProblem(line)
  if (why) ctx.addIssue({code: 'custom', message: `${why}; write one shell line per entry`})
})

/** the warning Slurm gives before the time limit (--signal=B:TERM@<seconds>) when rigor.yaml says nothing */
export const DEFAULT_SLURM_GRACE_MS = 120_000

/**
 * `slurm:` in rigor.yaml: how `rigor slurm submit` asks Slurm for workers
 * (docs/slurm.md). Read from the state branch's committed rigor.yaml only: the
 * setup lines run on the cluster as they are written.
 */
export const SlurmConfig = z.strictObject({
  partition: checked(slurmPartitionProblem).optional(),
  /** the time limit of each array task, as sbatch --time reads it */
  time: numberAsText((v) => {
    const parsed = parseSlurmTime(v)
    return parsed.ok ? undefined : parsed.problem
  }).optional(),
  cpus_per_task: z.number().int().min(1).max(4096).optional(),
  mem: numberAsText(slurmMemoryProblem).optional(),
  /** array tasks (workers) per submission, unless --workers says otherwise */
  workers: z.number().int().min(1).max(10_000).optional(),
  /** slots per worker (rigor work --parallel); default: cpus_per_task, else 1 */
  parallel: z.number().int().min(1).max(MAX_WORKER_SLOTS).optional(),
  /** how long before the time limit a worker stops and puts its claims back */
  grace: Duration.optional(),
  /** written as `module load <name>` lines, before `setup` */
  modules: z.array(checked(moduleNameProblem)).default([]),
  /** shell lines written into the job script as they are (a virtualenv, exports), after the modules */
  setup: z.array(SetupLine).default([]),
  /** where each task clones the workspace: an absolute path on the compute node (default $SLURM_TMPDIR, else $TMPDIR, else /tmp) */
  scratch: checked(scratchPathProblem).optional(),
  /** more #SBATCH options, one --name=value each (e.g. --account=lab-a) */
  sbatch: z.array(checked(sbatchOptionProblem)).default([]),
  /** how a task starts rigor, when the path of this rigor is not valid on the compute nodes (e.g. [npx, rigor]) */
  rigor: z
    .array(
      z
        .string()
        .min(1)
        .superRefine((word, ctx) => {
          const why = singleLineProblem(word)
          if (why) ctx.addIssue({code: 'custom', message: why})
        }),
    )
    .min(1)
    .optional(),
})
export type SlurmConfig = z.infer<typeof SlurmConfig>
