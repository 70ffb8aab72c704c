import {Flags} from '@oclif/core'
import {WorkspaceCommand} from '../cli/base.js'
import {numberFlag} from '../cli/flags.js'
import {assertKnownTeam} from '../core/state/teams.js'
import {withAbort} from '../cli/signals.js'
import {withWorkspace} from '../cli/workspace.js'
import {stoppedError} from '../core/errors.js'
import {STOPPED_AGENT} from '../core/agent/run-agent.js'
import {designNodes, MAX_DESIGN_COUNT, type DesignResult} from '../core/agent/design.js'
import type {Telemetry} from '../core/telemetry/telemetry.js'
import {controlsEscaped} from '../core/validation.js'

export default class Design extends WorkspaceCommand {
  static override summary = 'Ask the configured agent (agent.command, prompt on stdin) to design new nodes; seed the valid ones.'
  static override description =
    'The prompt holds the best and worst nodes, what was tried and learnings.md. With no agent configured, a built-in designer refines the best accepted nodes (offline).'
  static override examples = ['<%= config.bin %> design --count 5', '<%= config.bin %> design --team trend --json']
  static override flags = {
    count: numberFlag({integer: true, min: 1, max: MAX_DESIGN_COUNT})({description: 'how many nodes to ask for', default: 5}),
    team: Flags.string({description: 'design for this team'}),
  }

  async run(): Promise<DesignResult> {
    return this.traced({}, (telemetry) => this.design(telemetry), {stopsCleanly: true})
  }

  private async design(telemetry: Telemetry): Promise<DesignResult> {
    const {flags} = await this.parse(Design)
    const result = await withWorkspace(flags, async (ws) => {
      if (flags.team !== undefined && ws.config.teams.length > 0 && !ws.config.teams.some((t) => t.name === flags.team)) {
        assertKnownTeam(ws.config, {commit: undefined, tree: undefined, nodes: new Map()}, flags.team)
      }
      // Ctrl-C and SIGTERM stop the agent and what it started; nothing is seeded (exit 130 or 143)
      return withAbort(async ({signal}) => {
        try {
          return await designNodes(ws, {
            count: flags.count,
            team: flags.team,
            onRetry: (attempt, why) => this.warn(`agent attempt ${attempt} failed (${why}); retrying`),
            signal,
            telemetry,
          })
        } catch (err) {
          if (signal.aborted) throw stoppedError(signal.reason, 'the design call', 'run rigor design again', STOPPED_AGENT)
          throw err
        }
      })
    })
    this.say(
      `${result.designer}: seeded ${result.seeded.length} node(s)${result.existing.length ? `, ${result.existing.length} existed` : ''}${result.attempts > 1 ? ` after ${result.attempts} attempts` : ''}`,
    )
    // a refused proposal is quoted as the agent wrote it (an id, a key): one line each, its escape sequences escaped
    for (const bad of result.invalid) this.say(`  invalid: ${controlsEscaped(`${bad.field}: ${bad.message}`)}`)
    return result
  }
}
