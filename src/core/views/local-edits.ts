import {CHECKSUMMED_DIRS, classifyStatePath, documentKindOf} from '../state/layout.js'
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

/**
 * State files in this working tree that someone edited or added by hand: files
 * that differ from the commit this checkout was last brought to (not from the
 * branch's tip, which another rigor process may have moved a moment ago: that is
 * a lag, not an edit; the local branch's tip when it has left that commit), and untracked ones.
 */
export async function locallyModifiedStateFiles(
  ws: Workspace,
  opts: {
    /** where to look (default: every checksummed folder) */
    paths?: readonly string[]
    /**
     * false: edited files only, no files added by hand. Finding untracked files walks
     * every directory (0.1-0.2 s at 10,000 nodes), which `status` and `show`, reading
     * committed state, do not spend; `work`, `claim` and `verify` do.
     */
    untracked?: boolean
  } = {},
): Promise<string[]> {
  // a checkout of another branch holds that branch's files, not edits of the state
  const head = await ws.repo.headRef()
  if (head !== undefined && head !== ws.stateRef) return []
  return ws.whileCheckoutSettled(async (synced) => {
    // the checkout follows the local branch: with --remote, not the remote's tip, from which a rigor commit of this
    // clone not pushed yet (a seed without --remote) differs, though it is no edit
    const tip = await ws.repo.readRef(ws.stateRef)
    // a record the branch has left (reset or rewound by hand, not moved on by rigor) is no base: git brought the files
    // to the branch itself, and every file changed since that record would read as an edit
    const base = synced && tip && (await ws.repo.isAncestor(synced, tip)) ? synced : tip
    if (!base) return []
    const paths = await ws.repo.workingTreeChanges(base, opts.paths ?? CHECKSUMMED_DIRS, {untracked: opts.untracked ?? true})
    return paths.filter(isChecksummedDocument)
  })
}

const isChecksummedDocument = (path: string): boolean => documentKindOf(path) !== undefined
