import {WorkspaceCommand} from '../cli/base.js'
import {renderTable} from '../cli/table.js'
import {withWorkspace} from '../cli/workspace.js'
import {checkHealth, HEALTH_FIXES, type HealthResult} from '../core/flows/health.js'
import {policies} from '../core/flows/policies.js'

export default class Health extends WorkspaceCommand {
  static override summary = 'Check the workspace against the health: thresholds of rigor.yaml; exit 1 and notify when one is crossed.'
  static override description =
    `The checks: score (the health score of rigor report, today UTC; health.min_score), audit_backlog (accepted nodes with no audit; health.max_audit_backlog), failed_audit_rate (share of audited nodes whose newest audit is a FAIL; health.max_failed_audit_rate), stuck_leases (running nodes whose lease has passed; health.max_stuck_leases). A check without a threshold is reported and never fails.
When one is crossed, notify.command of rigor.yaml is run with the message on stdin and the event as JSON in RIGOR_EVENT (docs/observability.md).`
  static override examples = ['<%= config.bin %> health', '<%= config.bin %> health --json']

  async run(): Promise<HealthResult> {
    const {flags} = await this.parse(Health)
    const result = await withWorkspace(flags, (ws) => checkHealth(ws, {auditStats: policies.auditStats}))
    if (!this.jsonEnabled()) {
      const show = (x: number | null) => (x === null ? 'n/a' : Number.isInteger(x) ? String(x) : x.toFixed(3))
      this.log(
        renderTable(
          ['check', 'value', 'threshold', 'ok'],
          result.checks.map((c) => [
            c.name,
            show(c.value),
            c.threshold === null ? '-' : `${c.bound === 'min' ? '>=' : '<='} ${show(c.threshold)}`,
            c.ok ? 'ok' : 'CROSSED',
          ]),
        ),
      )
      const crossed = result.checks.filter((c) => !c.ok).length
      this.log(crossed ? `${crossed} threshold(s) crossed` : 'healthy')
      for (const c of result.checks) if (!c.ok) this.log(`Fix: ${c.name}: ${HEALTH_FIXES[c.name]}`)
      if (result.notified?.sent) this.log('notify.command was told')
    }
    if (!result.ok) process.exitCode = 1
    return result
  }
}
