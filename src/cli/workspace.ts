import {resolve} from 'node:path'
import {InputError} from '../core/errors.js'
import {syncStopGuard} from './signals.js'
import {linesEscaped, workerNameProblem} from '../core/validation.js'
import {recentHandChangesWarning} from '../core/state/hand-changes.js'
import {configDraftWarning} from '../core/state/state-branch.js'
import {Workspace, defaultWorkerName} from '../core/state/workspace.js'

/** The flags that say which workspace a command works on: --cwd, and --remote (or $RIGOR_REMOTE, which oclif reads). */
export interface WorkspaceFlags {
  cwd?: string
  remote?: string
}

/**
 * Where a path typed on the command line starts: --cwd (the command runs as if typed there, as `git -C` and
 * `yarn --cwd` do), else the current directory. One rule for every path flag and argument (a seed spec, an output
 * folder, a data file, a signing key, a handoff's artifacts).
 */
export function commandLineBase(flags: WorkspaceFlags): string {
  return resolve(flags.cwd ?? process.cwd())
}

/**
 * Opens the workspace, runs `fn`, and always closes it (cache written, working
 * tree synced). Whatever kept a checkout from following the state branch is
 * said on stderr by every command, until a command succeeds in updating it;
 * so is a commit above rigor's last that changed its files (hand-changes.ts).
 */
export async function withWorkspace<T>(
  flags: WorkspaceFlags,
  fn: (ws: Workspace) => Promise<T>,
  opts: {
    handChanges?: boolean
    /** a command that claims, runs or seeds: an uncommitted rigor.yaml edit would judge nothing of what it does */
    configDraft?: boolean
  } = {},
): Promise<T> {
  const ws = await Workspace.open(flags.cwd ?? process.cwd(), {remote: flags.remote})
  ws.onWarning = stateWarning
  // a Ctrl-C while the checkout follows a commit that landed must not leave its index behind the branch
  const stops = syncStopGuard(() => ws.whenSynced())
  ws.watchSyncDue((due) => (due ? stops.hold() : stops.release()))
  try {
    if (opts.handChanges !== false) {
      const warning = await recentHandChangesWarning(ws)
      if (warning) stateWarning(warning)
    }
    if (opts.configDraft) {
      const draft = await configDraftWarning(ws.repo, await ws.readTip(), sharedState(ws))
      if (draft) stateWarning(draft)
    }
    return await fn(ws)
  } finally {
    await ws.close()
    stops.release()
    for (const warning of ws.syncWarnings) stateWarning(warning)
  }
}

/**
 * A warning about the workspace, on stderr so --json output stays parseable. It quotes what is on the
 * branch (a file's path, a commit's subject), which anyone's commit can fill with escape sequences.
 */
function stateWarning(message: string): void {
  process.stderr.write(`Warning: ${linesEscaped(message)}\n`)
}

/** The worker name from the flag, $RIGOR_WORKER or host-pid; refused (exit 2) when it could forge a trailer. */
/** With --remote, where the shared state lives and the local branch that follows it (for what a warning tells to push). */
export function sharedState(ws: Workspace): {remote: string; branch: string; stateRef: string} | undefined {
  return ws.remote ? {remote: ws.remote.remote, branch: ws.remote.branch, stateRef: ws.stateRef} : undefined
}

export function workerName(flag: string | undefined, flagName = '--worker'): string {
  const name = flag ?? process.env.RIGOR_WORKER ?? defaultWorkerName()
  const problem = workerNameProblem(name)
  if (problem)
    throw new InputError(problem, {
      field: flag !== undefined ? flagName : 'RIGOR_WORKER',
      fix: 'use a name such as ci-worker-1 or alice@lab',
    })
  return name
}
