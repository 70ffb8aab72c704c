import {Args} from '@oclif/core'
import {WorkspaceCommand} from '../../cli/base.js'
import {withWorkspace} from '../../cli/workspace.js'
import {jobIdArg} from '../../cli/flags.js'
import {RigorError} from '../../core/errors.js'
import {SlurmCommands} from '../../core/slurm/cluster.js'
import {arrayStatus, type ArrayStatus, submittedRemotes, type UnreadableArrays} from '../../core/slurm/status.js'

export default class SlurmStatus extends WorkspaceCommand {
  static override summary =
    'The arrays submitted from this clone: each task state from Slurm, and the nodes its worker ran, from the commit trailers.'
  static override examples = ['<%= config.bin %> slurm status', '<%= config.bin %> slurm status 4242 --json']
  static override args = {job: Args.string({description: 'one array job id (default: every array submitted from here)', parse: jobIdArg})}

  async run(): Promise<{arrays: ArrayStatus[]; unreadable: UnreadableArrays[]}> {
    const {args, flags} = await this.parse(SlurmStatus)
    // each array's tasks push to the remote it was submitted to: read there, unless --remote (or RIGOR_REMOTE) says
    const remotes =
      flags.remote !== undefined ? new Map([[flags.remote, []]]) : await submittedRemotes(flags.cwd ?? process.cwd(), args.job)
    if (remotes.size === 0) remotes.set('origin', [])
    const arrays: ArrayStatus[] = []
    const unreadable: Array<UnreadableArrays & {error: RigorError}> = []
    for (const [remote, jobIds] of remotes) {
      let opened = false
      try {
        arrays.push(
          ...(await withWorkspace({...flags, remote}, (ws) => {
            opened = true
            return arrayStatus(ws, {slurm: new SlurmCommands(), jobId: args.job, remote: flags.remote === undefined ? remote : undefined})
          })),
        )
      } catch (err) {
        // a remote removed from this clone (or out of reach) hides only its own arrays; what Slurm says fails them all
        if (opened || flags.remote !== undefined || !(err instanceof RigorError)) throw err
        const fix = `${err.fix ? `${err.fix}; ` : ''}a remote renamed since is read with --remote NAME`
        unreadable.push({remote, job_ids: jobIds, problem: err.message, fix, error: err})
      }
    }
    // nothing could be read: the error, with the arrays it hides
    if (arrays.length === 0 && unreadable.length === remotes.size) {
      const [first] = unreadable as [(typeof unreadable)[number]]
      throw new RigorError(`${arraysNamed(first.job_ids)} submitted to ${first.remote}, which cannot be read: ${first.problem}`, {
        exitCode: first.error.exitCode,
        fix: first.fix,
      })
    }
    arrays.sort((a, b) => Number(a.job_id) - Number(b.job_id))
    if (arrays.length === 0 && unreadable.length === 0) this.say('no array was submitted from this clone (rigor slurm submit)')
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
    // on stderr, one line each, as withWorkspace says its warnings; the exit stays 0 for what was read
    for (const u of unreadable) {
      process.stderr.write(
        `Warning: ${arraysNamed(u.job_ids)} not read: submitted to ${u.remote}, which cannot be read: ${u.problem} (fix: ${u.fix})\n`,
      )
    }
    return {arrays, unreadable: unreadable.map(({error: _error, ...u}) => u)}
  }
}

const arraysNamed = (ids: string[]): string => `array${ids.length === 1 ? '' : 's'} ${ids.join(', ')}`
