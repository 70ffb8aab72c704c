import * as z from 'zod'

/**
 * .git/rigor/slurm/<job id>.json: what `rigor slurm submit` asked Slurm for, kept
 * in the clone it was submitted from so `rigor slurm status` and `cancel` know
 * the arrays without Slurm's accounting (squeue forgets a job soon after it ends).
 */
export const SlurmRecord = z.strictObject({
  job_id: z.string().regex(/^\d+$/),
  submitted_at: z.string(),
  /** the submitting user's uid (absent in records of older rigor): a job of another user under this id is not this array */
  uid: z.number().int().nonnegative().optional(),
  workers: z.number().int().positive(),
  parallel: z.number().int().positive(),
  /** the remote's name in the submitting clone, and the URL every task clones */
  remote: z.string(),
  remote_url: z.string(),
  branch: z.string(),
  /** the state's tip whose rigor.yaml the script was written from */
  config_commit: z.string(),
  /** the job script as submitted, and where Slurm writes each task's output (%A_%a: job and task) */
  script: z.string(),
  output: z.string(),
  sbatch: z.array(z.string()),
  cancelled_at: z.string().optional(),
  /** tasks cancelled on their own (`rigor slurm cancel <job>_<task>`), each with when */
  cancelled_tasks: z.record(z.string().regex(/^\d+$/), z.string()).optional(),
})
export type SlurmRecord = z.infer<typeof SlurmRecord>
