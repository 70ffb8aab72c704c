import {Workspace} from '../core/workspace.js'
import {defaultWorkerName} from '../core/workspace.js'

/** Opens the workspace, runs `fn`, and always closes it (cache written, working tree synced). */
export async function withWorkspace<T>(cwd: string | undefined, fn: (ws: Workspace) => Promise<T>): Promise<T> {
  const ws = await Workspace.open(cwd ?? process.cwd())
  try {
    return await fn(ws)
  } finally {
    await ws.close()
  }
}

export function workerName(flag: string | undefined): string {
  return flag ?? process.env.RIGOR_WORKER ?? defaultWorkerName()
}
