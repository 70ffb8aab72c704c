/**
 * The composition root: the one place where the engine's pluggable rules are
 * put together and handed out explicitly. A claim is admitted by the teams'
 * rules (waits_for, max_parallel) and the budget; health counts the auditor's
 * backlog. Nothing registers itself by being imported.
 */
import {auditStats} from '../auditor/stats.js'
import {combinePolicies, teamAdmission, type AdmissionPolicyFactory} from '../dag/admission.js'
import {budgetAdmission} from '../dag/budget.js'
import type {AuditStats} from '../dag/supervise.js'

export interface Policies {
  /** who may start now: every claim, in every command, asks this */
  admission: AdmissionPolicyFactory
  /** the audit backlog and failure rate the health checks report */
  auditStats: AuditStats
}

export const policies: Policies = {
  admission: combinePolicies(teamAdmission, budgetAdmission),
  auditStats,
}
