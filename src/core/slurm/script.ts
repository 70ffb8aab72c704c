/**
 * The job script of `rigor slurm submit`: pure text from a checked plan. Every
 * value is validated before it gets here (plan.ts, validation.ts) and every
 * value that is not a fixed word is single-quoted anyway; only the setup lines
 * of the committed rigor.yaml are written as they are, which is what they are for.
 */

export interface JobPlan {
  /** array tasks: one rigor worker each */
  workers: number
  /** slots per worker (rigor work --parallel) */
  parallel: number
  partition?: string
  time?: string
  cpusPerTask: number
  mem?: string
  /** how long before the time limit a worker stops (both --signal=B:TERM@ and rigor work --stop-at) */
  graceSeconds: number
  modules: string[]
  setup: string[]
  /** a fixed scratch directory; undefined: $SLURM_TMPDIR, else $TMPDIR, else /tmp on the node */
  scratch?: string
  /** extra #SBATCH options, each one checked --name=value */
  sbatch: string[]
  /** argv that starts rigor on a compute node */
  rigor: string[]
  /** what each task clones, and the state branch in it */
  remoteUrl: string
  branch: string
  /** the commit whose rigor.yaml this plan was read from */
  configCommit: string
}

/** Every array's job name: how `status` and `cancel` tell rigor's job from another that got its id later. */
export const JOB_NAME = 'rigor'

/** The name each task clones the remote as: `rigor work --remote origin` in the job. */
export const CLONE_REMOTE = 'origin'

/** A word for bash: kept as it is when it holds only characters no shell treats specially, else single-quoted. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
}

/**
 * The options rigor's own working rests on: how status and cancel know the array (its name), its tasks, the early
 * SIGTERM that lets each worker put its claims back, and logs kept across requeues. They are in the script and on
 * sbatch's command line too, since sbatch lets SBATCH_* variables in the user's environment (SBATCH_SIGNAL,
 * SBATCH_OPEN_MODE, SBATCH_JOB_NAME, SBATCH_ARRAY_INX) override a script's #SBATCH lines, and only the command line
 * over them.
 */
export function essentialDirectives(plan: Pick<JobPlan, 'workers' | 'graceSeconds'>): string[] {
  return [
    `--job-name=${JOB_NAME}`,
    `--array=0-${plan.workers - 1}`,
    // B: the batch shell only, which exec made rigor: runners are stopped by rigor, not by Slurm
    `--signal=B:TERM@${plan.graceSeconds}`,
    // a requeued task (preemption, scontrol requeue) writes after its earlier run's output instead of over it
    '--open-mode=append',
  ]
}

export function renderJobScript(plan: JobPlan): string {
  const directives = [
    ...essentialDirectives(plan),
    ...(plan.partition ? [`--partition=${plan.partition}`] : []),
    ...(plan.time ? [`--time=${plan.time}`] : []),
    `--cpus-per-task=${plan.cpusPerTask}`,
    ...(plan.mem ? [`--mem=${plan.mem}`] : []),
    ...plan.sbatch,
  ]
  const setup = [...plan.modules.map((name) => `module load ${shellWord(name)}`), ...plan.setup]
  const rigor = plan.rigor.map(shellWord).join(' ')
  return `#!/bin/bash
# Written by \`rigor slurm submit\` (docs/slurm.md): each array task clones the
# shared state into node-local scratch and runs one rigor worker there.
# rigor.yaml read from branch ${plan.branch} at ${plan.configCommit}.
${directives.map((d) => `#SBATCH ${d}`).join('\n')}
# shellcheck disable=SC2016 # a $ or \` in a single-quoted path below is a character of the path
set -eo pipefail
# Slurm may send its SIGTERM up to a minute before the time given: if it comes
# before rigor runs, nothing was claimed yet, and the task says so and leaves
# (exec below gives rigor the signal's default back, and rigor handles it)
trap 'echo "rigor: the task was told to stop (SIGTERM) before rigor started; nothing was claimed" >&2; exit 0' TERM
${
  setup.length
    ? `
# slurm.modules and slurm.setup of the committed rigor.yaml, as written there
${setup.join('\n')}
`
    : ''
}set -u

remote_url=${shellWord(plan.remoteUrl)}
branch=${shellWord(plan.branch)}
grace=${plan.graceSeconds}
scratch=${plan.scratch ? shellWord(plan.scratch) : '"${SLURM_TMPDIR:-${TMPDIR:-/tmp}}"'}
task="\${SLURM_ARRAY_JOB_ID}-\${SLURM_ARRAY_TASK_ID}"
clone="\${scratch}/rigor-\${task}"

# a fresh clone on node-local scratch (a requeued task starts afresh): the state lives on the remote
rm -rf -- "$clone"
git clone --quiet --no-tags --single-branch --branch "$branch" -- "$remote_url" "$clone"
cd -- "$clone"

# leave $grace seconds before the job's end time, putting claims back; Slurm's
# SIGTERM (--signal above) is the second warning. No end time: no time limit.
# The task is named as <array>_<index>: the task whose job id is the array's own
# (one of each array) would list every task of the array by that id, one line each.
stop_at=
end=$(SLURM_TIME_FORMAT=%s squeue --noheader --jobs="\${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID}" --format=%e 2>/dev/null || true)
if [[ $end =~ ^[0-9]+$ ]]; then
  stop_at="@$((end - grace))"
fi

# a requeued task (SLURM_RESTART_COUNT > 0) works under the same name: what its earlier run was
# killed holding (a SIGKILL puts nothing back) is taken back at once, not when its lease expires
restarted=
if [[ \${SLURM_RESTART_COUNT:-0} =~ ^[1-9][0-9]*$ ]]; then
  restarted=1
fi

# exec: rigor is the batch step's process, so Slurm's SIGTERM reaches it directly
exec ${rigor} work --remote ${CLONE_REMOTE} --worker "slurm-\${task}" --parallel ${plan.parallel} \${stop_at:+--stop-at "$stop_at"} \${restarted:+--restarted}
`
}
