import {Args, Flags} from '@oclif/core'
import {WorkspaceCommand} from '../cli/base.js'
import {withAbort} from '../cli/signals.js'
import {commandLineBase, withWorkspace} from '../cli/workspace.js'
import {auditNode} from '../core/auditor/index.js'
import {resolveSigner} from '../core/state/signing-key.js'
import type {AuditFrontMatter} from '../core/schemas/index.js'
import {notifyAudit} from '../core/flows/notify.js'
import {ATTR} from '../core/telemetry/telemetry.js'
import {controlsEscaped} from '../core/validation.js'

export default class Audit extends WorkspaceCommand {
  static override summary =
    'The Independent Auditor: look-ahead, leakage, overfitting and robustness checks; writes audits/<id>/<date>-<auditor>.md.'
  static override description =
    'A FAIL is a finished audit (exit 0) that blocks deployment; exit 1 is a refused audit (e.g. the auditor ran, seeded or designed the node).'
  static override examples = [
    '<%= config.bin %> audit trend/breakout/window-100 --auditor risk',
    '<%= config.bin %> audit trend/breakout/window-100 --auditor risk --json',
  ]
  static override args = {id: Args.string({description: 'node id', required: true})}
  static override flags = {
    auditor: Flags.string({
      description: 'the auditor: must not be who ran, seeded or designed the node; with auditors: in rigor.yaml, one of them',
      required: true,
    }),
    'signing-key': Flags.string({
      description:
        "SSH private key that signs the audit commit (default: $RIGOR_SIGNING_KEY, or git's user.signingkey with gpg.format=ssh); required when auditors: is set",
    }),
  }

  async run(): Promise<Omit<AuditFrontMatter, 'checksum'> & {file: string}> {
    const {args, flags} = await this.parse(Audit)
    const outcome = await this.traced(
      {[ATTR.nodeId]: args.id},
      (telemetry) =>
        withWorkspace(flags, async (ws) => {
          const signer = await resolveSigner(ws.repo, flags['signing-key'], commandLineBase(flags))
          // Ctrl-C and SIGTERM stop the re-runs and write nothing (exit 130 or 143)
          const audited = await withAbort(({signal, groups}) =>
            auditNode(ws, args.id, {auditor: flags.auditor, signer, telemetry, signal, groups}),
          )
          await notifyAudit(ws, audited)
          return audited
        }),
      {stopsCleanly: true},
    )
    // a reason can quote what the runner wrote (its accounting convention, a date of its CSV files)
    for (const c of outcome.front.checks) this.say(`${c.result.padEnd(7)} ${c.name}${c.reason ? ` (${controlsEscaped(c.reason)})` : ''}`)
    this.say(`${outcome.front.verdict}: ${outcome.path}`)
    return {...outcome.front, file: outcome.path}
  }
}
