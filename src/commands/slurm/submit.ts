import {Flags} from '@oclif/core'
import {WorkspaceCommand} from '../../cli/base.js'
import {numberFlag} from '../../cli/flags.js'
import {withWorkspace} from '../../cli/workspace.js'
import {SlurmCommands} from '../../core/slurm/cluster.js'
import {submitArray, type SubmitResult} from '../../core/slurm/submit.js'
import {MAX_WORKER_SLOTS} from '../../core/validation.js'

export default class SlurmSubmit extends WorkspaceCommand {
  static override summary = 'Submit a Slurm job array: each task clones the remote and runs one rigor worker.'
  static override description =
    'Flags override `slurm:` of the committed rigor.yaml on the remote. Each task runs `rigor work --remote origin --worker slurm-<job>-<task>` in a clone on node-local scratch and leaves --grace before its time limit, putting its claims back. The script is kept in .git/rigor/slurm/; --dry-run prints it without submitting. See docs/slurm.md.'
  static override examples = [
    '<%= config.bin %> slurm submit --workers 8 --parallel 4 --time 04:00:00 --dry-run',
    '<%= config.bin %> slurm submit --workers 8 --partition short --mem 16G',
  ]
  static override flags = {
    workers: numberFlag({integer: true, min: 1, max: 10_000})({
      char: 'n',
      description: 'array tasks, one worker each (default: slurm.workers, else 1)',
    }),
    parallel: numberFlag({integer: true, min: 1, max: MAX_WORKER_SLOTS})({
      char: 'p',
      description: `slots per worker (default: slurm.parallel, else --cpus-per-task or cpus_per_task up to ${MAX_WORKER_SLOTS}, else 1)`,
    }),
    partition: Flags.string({description: 'sbatch --partition (default: slurm.partition)'}),
    time: Flags.string({description: 'time limit per task, HH:MM:SS (default: slurm.time, else the partition default)'}),
    'cpus-per-task': numberFlag({integer: true, min: 1, max: 4096})({
      description: 'CPUs per task (default: slurm.cpus_per_task, else --parallel)',
    }),
    mem: Flags.string({description: 'memory per task, e.g. 16G (default: slurm.mem)'}),
    grace: Flags.string({
      description: 'how long before the time limit a worker stops and puts its claims back (default: slurm.grace, else 2m)',
    }),
    scratch: Flags.string({description: 'where on the node each task clones (default: slurm.scratch, else $SLURM_TMPDIR, $TMPDIR, /tmp)'}),
    'dry-run': Flags.boolean({description: 'write and print the job script, submit nothing'}),
  }

  async run(): Promise<SubmitResult> {
    const {flags} = await this.parse(SlurmSubmit)
    const result = await withWorkspace({...flags, remote: flags.remote ?? 'origin'}, (ws) =>
      submitArray(ws, {
        dryRun: flags['dry-run'],
        slurm: new SlurmCommands(),
        flags: {
          workers: flags.workers,
          parallel: flags.parallel,
          partition: flags.partition,
          time: flags.time,
          cpusPerTask: flags['cpus-per-task'],
          mem: flags.mem,
          grace: flags.grace,
          scratch: flags.scratch,
        },
      }),
    )
    // one line each, never wrapped at the terminal's width (as withWorkspace says its warnings)
    for (const warning of result.warnings) process.stderr.write(`Warning: ${warning}\n`)
    if (result.dry_run) {
      this.say(result.text.trimEnd())
      this.say('')
      this.say(`# written to ${result.script}; submit with: rigor slurm submit (same flags, without --dry-run)`)
    } else {
      this.say(
        `submitted array ${result.job_id}: ${result.workers} task(s) x ${result.parallel} slot(s) on ${result.remote} (${result.remote_url})`,
      )
      this.say(`  script ${result.script}`)
      this.say(`  output ${result.output.replace(/%A(?=_%a\.out$)/, result.job_id!)}`)
      this.say(`  follow with: rigor slurm status ${result.job_id}`)
    }
    return result
  }
}
