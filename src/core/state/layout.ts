/** Where each kind of state file lives in the workspace (docs/file-formats.md). */
export const EXPERIMENTS_DIR = 'experiments'
export const AUDITS_DIR = 'audits'
export const HANDOFFS_DIR = 'handoffs'
export const DEPLOYMENTS_DIR = 'deployments'
export const REPORTS_DIR = 'reports'
export const TEMPLATES_DIR = 'templates'
export const CONFIG_FILE = 'rigor.yaml'
/**
 * How every message names the config rigor read: rigor.yaml at the branch (a
 * remote's branch, a commit) it was read from. The working tree's copy judges
 * nothing until committed; a plain "rigor.yaml" sent users to edit that copy.
 */
export const configLocation = (at: string, remote?: string): string => `${CONFIG_FILE} (at ${remote ? `${remote}/${at}` : at})`
/** the folders `rigor init` creates */
export const WORKSPACE_DIRS = [EXPERIMENTS_DIR, AUDITS_DIR, HANDOFFS_DIR, TEMPLATES_DIR, REPORTS_DIR, DEPLOYMENTS_DIR] as const
/** the folders whose files carry checksums (`rigor verify` checks them all) */
export const CHECKSUMMED_DIRS = [EXPERIMENTS_DIR, AUDITS_DIR, HANDOFFS_DIR, DEPLOYMENTS_DIR, REPORTS_DIR] as const
export const RANKINGS_DIR = `${REPORTS_DIR}/rankings`
export const AGENT_CALLS_DIR = `${REPORTS_DIR}/agent-calls`
export const AGENT_RESERVATIONS_DIR = `${REPORTS_DIR}/agent-reservations`
export const auditsDirPath = (id: string): string => `${AUDITS_DIR}/${id}`
export const nodeDir = (id: string): string => `${EXPERIMENTS_DIR}/${id}`
export const nodeFilePath = (id: string): string => `${EXPERIMENTS_DIR}/${id}/node.yaml`
export const verdictFilePath = (id: string): string => `${EXPERIMENTS_DIR}/${id}/verdict.yaml`
export const outDirPath = (id: string): string => `${EXPERIMENTS_DIR}/${id}/out`

/**
 * The files classifyStatePath may accept, as git pathspecs relative to experiments/:
 * what a first snapshot asks git to list (every node.yaml and verdict.yaml, none
 * under an out/ directory). classifyStatePath still decides each path listed.
 */
export const STATE_PATHSPECS = [':(glob)**/node.yaml', ':(glob)**/verdict.yaml', ':(exclude,glob)**/out/**'] as const

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

// ---------------------------------------------------------------------------
// the kinds of state documents: one table that verify, the readers and the JSON Schemas use

export type DocumentFormat = 'yaml' | 'markdown' | 'json'

export interface DocumentKind {
  name: string
  /** where such files live, relative to the workspace root */
  pattern: RegExp
  format: DocumentFormat
  /** every document carries `checksum: sha256:<hex>` over its canonical content */
  checksummed: true
  /** the schema name in src/core/schemas (and schemas/<name>.json), when the kind has one */
  schema?: string
}

/**
 * Every checksummed document kind, in the order verify reports them. A file in
 * a checksummed folder that matches none (runner outputs, charts, CSVs, .gitkeep)
 * carries no checksum of its own: outputs are covered by their verdict's.
 */
export const DOCUMENT_KINDS: readonly DocumentKind[] = [
  {name: 'node', pattern: /^experiments\/(.+)\/node\.yaml$/, format: 'yaml', checksummed: true, schema: 'NodeFile'},
  {name: 'verdict', pattern: /^experiments\/(.+)\/verdict\.yaml$/, format: 'yaml', checksummed: true, schema: 'VerdictFile'},
  {
    name: 'holdout opening',
    pattern: /^audits\/(.+)\/holdout-[0-9a-f]+\.yaml$/,
    format: 'yaml',
    checksummed: true,
    schema: 'HoldoutOpening',
  },
  {name: 'audit report', pattern: /^audits\/(.+)\/[^/]+\.md$/, format: 'markdown', checksummed: true, schema: 'AuditReportFront'},
  {name: 'audit record', pattern: /^audits\/(.+)\/[^/]+\.json$/, format: 'json', checksummed: true, schema: 'AuditFrontMatter'},
  {name: 'handoff', pattern: /^handoffs\/.+\.yaml$/, format: 'yaml', checksummed: true, schema: 'HandoffFile'},
  {
    name: 'paper results',
    pattern: /^deployments\/paper\/.+\.results\.yaml$/,
    format: 'yaml',
    checksummed: true,
    schema: 'PaperResultsFile',
  },
  {name: 'deployment', pattern: /^deployments\/(paper|live)\/.+\.yaml$/, format: 'yaml', checksummed: true, schema: 'DeploymentFile'},
  {name: 'ranking', pattern: /^reports\/rankings\/[^/]+\.yaml$/, format: 'yaml', checksummed: true, schema: 'RankingFile'},
  {name: 'agent call', pattern: /^reports\/agent-calls\/[^/]+\.yaml$/, format: 'yaml', checksummed: true, schema: 'AgentCallFile'},
  {
    name: 'agent reservation',
    pattern: /^reports\/agent-reservations\/[^/]+\.yaml$/,
    format: 'yaml',
    checksummed: true,
    schema: 'AgentReservationFile',
  },
  {name: 'daily report', pattern: /^reports\/[^/]+\.md$/, format: 'markdown', checksummed: true},
  {name: 'daily report data', pattern: /^reports\/[^/]+\.json$/, format: 'json', checksummed: true},
]

/** The kind of a state document at `path`, or undefined for files that carry no checksum of their own. */
export function documentKindOf(path: string): DocumentKind | undefined {
  if (path.includes('/out/')) return undefined
  return DOCUMENT_KINDS.find((kind) => kind.pattern.test(path))
}
