/** Where each kind of state file lives in the workspace (SPEC section 2). */
export const EXPERIMENTS_DIR = 'experiments'
export const AUDITS_DIR = 'audits'
export const HANDOFFS_DIR = 'handoffs'
export const DEPLOYMENTS_DIR = 'deployments'
export const REPORTS_DIR = 'reports'
export const TEMPLATES_DIR = 'templates'
export const CONFIG_FILE = 'rigor.yaml'
/** the folders `rigor init` creates */
export const WORKSPACE_DIRS = [EXPERIMENTS_DIR, AUDITS_DIR, HANDOFFS_DIR, TEMPLATES_DIR, REPORTS_DIR, DEPLOYMENTS_DIR] as const
/** the folders whose files carry checksums (`rigor verify` checks them all) */
export const CHECKSUMMED_DIRS = [EXPERIMENTS_DIR, AUDITS_DIR, HANDOFFS_DIR, DEPLOYMENTS_DIR, REPORTS_DIR] as const
export const auditsDirPath = (id: string): string => `${AUDITS_DIR}/${id}`
export const nodeDir = (id: string): string => `${EXPERIMENTS_DIR}/${id}`
export const nodeFilePath = (id: string): string => `${EXPERIMENTS_DIR}/${id}/node.yaml`
export const verdictFilePath = (id: string): string => `${EXPERIMENTS_DIR}/${id}/verdict.yaml`
export const outDirPath = (id: string): string => `${EXPERIMENTS_DIR}/${id}/out`

/** The node id and file kind of a path under experiments/, or undefined for other files. */
export function classifyStatePath(path: string): {id: string; kind: 'node' | 'verdict'} | undefined {
  if (!path.startsWith(`${EXPERIMENTS_DIR}/`)) return undefined
  const rest = path.slice(EXPERIMENTS_DIR.length + 1)
  for (const kind of ['node', 'verdict'] as const) {
    const suffix = `/${kind}.yaml`
    if (rest.endsWith(suffix) && !rest.includes('/out/')) return {id: rest.slice(0, -suffix.length), kind}
  }
  return undefined
}
