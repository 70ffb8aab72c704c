import {Args, Flags} from '@oclif/core'
import {WorkspaceCommand} from '../../cli/base.js'
import {withWorkspace} from '../../cli/workspace.js'
import {jobOrTaskArg} from '../../cli/flags.js'
import {cancelArrays, type CancelledArray} from '../../core/slurm/cancel.js'
import {SlurmCommands} from '../../core/slurm/cluster.js'

export default class SlurmCancel extends WorkspaceCommand {
  static override summary =
    'Cancel arrays submitted from this clone (or one task, <job>_<task>): pending tasks are dropped, running workers stop and put their claims back.'
  static override description =
    "Running tasks get SIGTERM in their batch shell, which is rigor: it stops its runners, puts its claims back and exits 143. --kill is Slurm's own cancel (every process gets SIGTERM, SIGKILL after KillWait): claims a worker did not put back return through `rigor supervise` once their lease expires."
  static override examples = [
    '<%= config.bin %> slurm cancel',
    '<%= config.bin %> slurm cancel 4242',
    '<%= config.bin %> slurm cancel 4242 --kill',
    '<%= config.bin %> slurm cancel 4242_3',
  ]
  static override args = {
    job: Args.string({
      description: 'the array job id, or <job>_<task> for one of its tasks (default: every array from here that Slurm still runs)',
      parse: jobOrTaskArg,
    }),
  }
  static override flags = {kill: Flags.boolean({description: "Slurm's own cancel of every process at once, instead of a graceful stop"})}

  async run(): Promise<{cancelled: CancelledArray[]}> {
    const {args, flags} = await this.parse(SlurmCancel)
    const [jobId, index] = args.job?.split('_') ?? []
    // 4242_03 is task 3, as Slurm reads it
    const task = index === undefined ? undefined : String(Number(index))
    const cancelled = await withWorkspace(flags, (ws) =>
      cancelArrays(ws.repo.paths.commonDir, {slurm: new SlurmCommands(), jobId, task, kill: flags.kill}),
    )
    for (const c of cancelled)
      this.say(
        `array ${c.job_id}: ${c.pending.length} pending task(s) cancelled, ${c.running.length} running task(s) ${c.how === 'kill' ? 'cancelled by Slurm' : 'told to stop (SIGTERM): their claims are put back'}`,
      )
    return {cancelled}
  }
}
