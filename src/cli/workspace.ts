import {Workspace, defaultWorkerName} from '../core/workspace.js'

/** Flags every command shares, as parsed for this invocation (see RigorCommand.parse). */
export const invocation: {remote?: string} = {}

/** Opens the workspace, runs `fn`, and always closes it (cache written, working tree synced). */
export async function withWorkspace<T>(cwd: string | undefined, fn: (ws: Workspace) => Promise<T>): Promise<T> {
  const ws = await Workspace.open(cwd ?? process.cwd(), {remote: invocation.remote})
  try {
    return await fn(ws)
  } finally {
    await ws.close()
  }
}

export function workerName(flag: string | undefined): string {
  return flag ?? process.env.RIGOR_WORKER ?? defaultWorkerName()
}
