import {classifyStatePath} from '../state/layout.js'
import {locallyModifiedStateFiles} from './verify.js'
import type {Workspace} from '../state/workspace.js'

/**
 * Nodes whose node.yaml is edited in this working tree and not committed. They
 * are not claimed from here: running a node whose file says something else
 * than the committed state would be a run of neither, and syncing it would
 * overwrite the edit.
 */
export async function excludedLocalNodes(ws: Workspace, warn: (message: string) => void): Promise<Set<string>> {
  const excluded = new Set<string>()
  for (const path of await locallyModifiedStateFiles(ws)) {
    const hit = classifyStatePath(path)
    if (hit?.kind !== 'node') continue
    excluded.add(hit.id)
    warn(
      `${path} has uncommitted edits: node ${hit.id} is not claimed from this checkout (run \`rigor verify\`; commit or restore the file)`,
    )
  }
  return excluded
}
