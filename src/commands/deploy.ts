import {Args, Flags} from '@oclif/core'
import {WorkspaceCommand} from '../cli/base.js'
import {reasonFlag} from '../cli/flags.js'
import {withAbort} from '../cli/signals.js'
import {commandLineBase, withWorkspace, workerName} from '../cli/workspace.js'
import {deployNode, rollbackDeployment, type DeployResult, type RollbackResult} from '../core/deploy/index.js'
import {InputError} from '../core/errors.js'
import {resolveSigner} from '../core/state/signing-key.js'
import {DEPLOY_STAGES} from '../core/schemas/index.js'
import {notify} from '../core/flows/notify.js'

export default class Deploy extends WorkspaceCommand {
  static override summary = 'Deploy a node to paper or live through the audit gate, or roll a deployment back.'
  static override description =
    `Refuses (exit 1, naming each failed condition and its fix) unless the node is intact and proven_accepted, and its newest audit covering the current artifact checksums is a PASS at most 30 days old (and not dated in the future); live also needs an active paper deployment of the same artifacts with paper results (rigor paper) of at least deploy.live.min_paper_periods periods (default 20) and deploy.live.min_paper_sharpe (default 0.5, annualised). With auditors: in rigor.yaml, the audit must be SSH-signed by the listed auditor it names, who did not run, seed or design the node, and live reads the paper deployment and results only as a commit a listed auditor signed wrote them (rigor paper --signing-key).
A passing deploy runs deploy.<stage>.command from rigor.yaml (argv, no shell; env RIGOR_NODE_ID, RIGOR_STAGE, RIGOR_WORKSPACE, RIGOR_ARTIFACTS_DIR, RIGOR_AUDIT (the audit report's path), RIGOR_DEPLOYED_BY): a failing command is a refusal and nothing is recorded, as is one stopped by Ctrl-C or SIGTERM; what it leaves running when it exits is stopped. Then deployments/<stage>/<id>.yaml is committed.
--rollback runs deploy.<stage>.rollback_command when configured, then marks the deployment rolled_back (live before paper when --stage is not given); the record and its history stay.`
  static override examples = [
    '<%= config.bin %> deploy arch/momentum --stage paper --by alice',
    '<%= config.bin %> deploy arch/momentum --stage live',
    '<%= config.bin %> deploy arch/momentum --rollback --stage live --reason "slippage too high"',
  ]
  static override args = {id: Args.string({description: 'node id', required: true})}
  static override flags = {
    stage: Flags.string({description: 'paper or live (required to deploy; optional with --rollback)', options: [...DEPLOY_STAGES]}),
    rollback: Flags.boolean({description: 'roll the deployment back instead'}),
    by: Flags.string({description: 'who deploys (default: $RIGOR_WORKER or host-pid)'}),
    reason: reasonFlag()({description: 'why, for --rollback'}),
    'signing-key': Flags.string({
      description:
        "SSH private key that signs the deployment commit (default: $RIGOR_SIGNING_KEY, or git's user.signingkey with gpg.format=ssh)",
    }),
  }

  async run(): Promise<DeployResult | RollbackResult> {
    const {args, flags} = await this.parse(Deploy)
    const stage = flags.stage as (typeof DEPLOY_STAGES)[number] | undefined
    const by = workerName(flags.by, '--by')
    if (flags.rollback) {
      const result = await withWorkspace(flags, async (ws) => {
        const signer = await resolveSigner(ws.repo, flags['signing-key'], commandLineBase(flags))
        // Ctrl-C and SIGTERM stop the rollback command and what it started, and record nothing (exit 130 or 143)
        const rolledBack = await withAbort(({signal}) => rollbackDeployment(ws, args.id, {stage, by, reason: flags.reason, signer, signal}))
        await notify(ws, {kind: 'deploy', action: 'rollback', node: rolledBack.node, stage: rolledBack.stage, by, file: rolledBack.file})
        return rolledBack
      })
      for (const warning of result.warnings) this.warn(warning)
      if (result.command?.output.trim()) this.say(result.command.output.trimEnd())
      this.say(`rolled back ${result.node} on ${result.stage} (${result.file})${result.command ? ', after its rollback command' : ''}`)
      return result
    }
    if (!stage) throw new InputError('--stage is required to deploy', {fix: 'pass --stage paper or --stage live (or --rollback)'})
    if (flags.reason) throw new InputError('--reason goes with --rollback', {fix: 'drop --reason, or add --rollback'})
    const result = await withWorkspace(flags, async (ws) => {
      const signer = await resolveSigner(ws.repo, flags['signing-key'], commandLineBase(flags))
      // as for a rollback: a stopped deploy command records nothing
      const deployed = await withAbort(({signal}) => deployNode(ws, args.id, {stage, by, signer, signal}))
      await notify(ws, {kind: 'deploy', action: 'deploy', node: deployed.node, stage: deployed.stage, by, file: deployed.file})
      return deployed
    })
    for (const warning of result.warnings) this.warn(warning)
    if (result.command?.output.trim()) this.say(result.command.output.trimEnd())
    this.say(`deployed ${result.node} to ${result.stage} (${result.file}), on ${result.audit}`)
    return result
  }
}
