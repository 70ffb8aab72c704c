import {Args} from '@oclif/core'
import {WorkspaceCommand} from '../../cli/base.js'
import {withWorkspace} from '../../cli/workspace.js'
import {SlurmCommands} from '../../core/slurm/cluster.js'
import {arrayStatus, type ArrayStatus, submittedRemotes} from '../../core/slurm/status.js'
import {jobIdArg} from '../../cli/flags.js'

export default class SlurmStatus extends WorkspaceCommand {
  static override summary =
    'The arrays submitted from this clone: each task state from Slurm, and the nodes its worker ran, from the commit trailers.'
  static override examples = ['<%= config.bin %> slurm status', '<%= config.bin %> slurm status 4242 --json']
  static override args = {job: Args.string({description: 'one array job id (default: every array submitted from here)', parse: jobIdArg})}

  async run(): Promise<{arrays: ArrayStatus[]}> {
    const {args, flags} = await this.parse(SlurmStatus)
    // each array's tasks push to the remote it was submitted to: read there, unless --remote (or RIGOR_REMOTE) says
    const remotes = flags.remote !== undefined ? [flags.remote] : await submittedRemotes(flags.cwd ?? process.cwd(), args.job)
    const arrays: ArrayStatus[] = []
    for (const remote of remotes.length > 0 ? remotes : ['origin'])
      arrays.push(
        ...(await withWorkspace({...flags, remote}, (ws) =>
          arrayStatus(ws, {slurm: new SlurmCommands(), jobId: args.job, remote: flags.remote === undefined ? remote : undefined}),
        )),
      )
    arrays.sort((a, b) => Number(a.job_id) - Number(b.job_id))
    if (arrays.length === 0) this.say('no array was submitted from this clone (rigor slurm submit)')
    for (const array of arrays) {
      const cancelled = array.cancelled_at ? `, cancelled ${array.cancelled_at}` : ''
      const forgotten = array.known_to_slurm ? '' : ' (Slurm no longer knows it: task states unknown)'
      this.say(
        `array ${array.job_id}: ${array.workers} task(s) x ${array.parallel} slot(s), submitted ${array.submitted_at}${cancelled}${forgotten}`,
      )
      for (const t of array.tasks) {
        const where = t.host ? ` on ${t.host}` : ''
        const exit = t.exit_code && t.state !== 'RUNNING' ? ` exit ${t.exit_code}` : ''
        const held = t.running.length ? `, running ${t.running.join(' ')}` : ''
        this.say(
          `  ${t.worker}  ${t.state}${where}${exit}: ${t.nodes.length} verdict(s), ${t.claimed} claim(s), ${t.released} put back${held}`,
        )
      }
    }
    return {arrays}
  }
}
