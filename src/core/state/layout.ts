/** Where each kind of state file lives in the workspace (SPEC section 2). */
export const EXPERIMENTS_DIR = 'experiments'
export const CONFIG_FILE = 'rigor.yaml'
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
