import {Args, Flags} from '@oclif/core'
import {WorkspaceCommand} from '../../cli/base.js'
import {withWorkspace} from '../../cli/workspace.js'
import {jobIdArg} from '../../cli/flags.js'
import {cancelArrays, type CancelledArray} from '../../core/slurm/cancel.js'
import {SlurmCommands} from '../../core/slurm/cluster.js'

export default class SlurmCancel extends WorkspaceCommand {
  static override summary =
    'Cancel arrays submitted from this clone: pending tasks are dropped, running workers stop and put their claims back.'
  static override description =
    "Running tasks get SIGTERM in their batch shell, which is rigor: it stops its runners, puts its claims back and exits 143. --kill is Slurm's own cancel (every process gets SIGTERM, SIGKILL after KillWait): claims a worker did not put back return through `rigor supervise` once their lease expires."
  static override examples = [
    '<%= config.bin %> slurm cancel',
    '<%= config.bin %> slurm cancel 4242',
    '<%= config.bin %> slurm cancel 4242 --kill',
  ]
  static override args = {
    job: Args.string({description: 'the array job id (default: every array from here that Slurm still runs)', parse: jobIdArg}),
  }
  static override flags = {kill: Flags.boolean({description: "Slurm's own cancel of every process at once, instead of a graceful stop"})}

  async run(): Promise<{cancelled: CancelledArray[]}> {
    const {args, flags} = await this.parse(SlurmCancel)
    const cancelled = await withWorkspace(flags, (ws) =>
      cancelArrays(ws.repo.paths.commonDir, {slurm: new SlurmCommands(), jobId: args.job, kill: flags.kill}),
    )
    for (const c of cancelled)
      this.say(
        `array ${c.job_id}: ${c.pending.length} pending task(s) cancelled, ${c.running.length} running task(s) ${c.how === 'kill' ? 'cancelled by Slurm' : 'told to stop (SIGTERM): their claims are put back'}`,
      )
    return {cancelled}
  }
}
