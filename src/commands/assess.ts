import {Args} from '@oclif/core'
import {WorkspaceCommand} from '../cli/base.js'
import {withAbort} from '../cli/signals.js'
import {withWorkspace} from '../cli/workspace.js'
import {stoppedError} from '../core/errors.js'
import {STOPPED_AGENT} from '../core/agent/run-agent.js'
import {assessNode, type AssessResult} from '../core/agent/assess.js'
import {linesEscaped} from '../core/validation.js'

export default class Assess extends WorkspaceCommand {
  static override summary = 'Ask the configured agent to judge a verdict; append what was learned to learnings.md.'
  static override examples = ['<%= config.bin %> assess trend/momentum/lookback-120']
  static override args = {id: Args.string({description: 'node id', required: true})}

  async run(): Promise<AssessResult> {
    const {args, flags} = await this.parse(Assess)
    const result = await this.traced(
      {'rigor.node.id': args.id},
      (telemetry) =>
        withWorkspace(flags, (ws) =>
          // Ctrl-C and SIGTERM stop the agent and what it started; nothing is written (exit 130 or 143)
          withAbort(async ({signal}) => {
            try {
              return await assessNode(ws, args.id, {
                onRetry: (attempt, why) => this.warn(`agent attempt ${attempt} failed (${why}); retrying`),
                signal,
                telemetry,
              })
            } catch (err) {
              if (signal.aborted)
                throw stoppedError(signal.reason, `the assessment of ${args.id}`, `run rigor assess ${args.id} again`, STOPPED_AGENT)
              throw err
            }
          }),
        ),
      {stopsCleanly: true},
    )
    // the agent's prose, which the verdict's notes in its prompt may have steered: no escape sequence of it reaches the terminal
    this.say(linesEscaped(`${result.assessor} on ${result.node}: ${result.assessment}`))
    return result
  }
}
