import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseTimeout, readRunnerReport, runProcess} from '../runner.js'
import {sandboxPolicy} from '../sandbox.js'
import type {NodeFile, RunnerLimits, SandboxMode} from '../schemas/index.js'
import {seriesByDate, tableText, type Table} from './csv.js'

export interface Rerun {
  ok: boolean
  reason?: string
  returns: Map<string, number>
  positions: Map<string, number>
}

export interface RerunRequest {
  node: NodeFile
  root: string
  data?: Table
  seed?: number
  params?: Record<string, unknown>
  env?: Record<string, string>
  defaultTimeoutMs: number
  limits: RunnerLimits
  /** rigor.yaml's runner defaults (sandbox, network) */
  runner: {sandbox: SandboxMode; network: boolean}
  warn?: (message: string) => void
}

/** Runs the node's own command again in a private directory with altered data, seed or params: any protocol runner can be audited. */
export async function rerunNode(req: RerunRequest): Promise<Rerun> {
  const dir = await mkdtemp(join(tmpdir(), 'rigor-audit-'))
  try {
    let dataPath: string | undefined
    if (req.data) {
      dataPath = join(dir, 'data.csv')
      await writeFile(dataPath, tableText(req.data))
    }
    const node = req.params ? {...req.node, params: req.params} : req.node
    const outDir = join(dir, 'out')
    const timeoutMs = parseTimeout(node.run.timeout, req.defaultTimeoutMs)
    const outcome = await runProcess({
      node,
      workspaceRoot: req.root,
      outDir,
      timeoutMs,
      seed: req.seed ?? 0,
      dataPath,
      extraEnv: req.env,
      sandbox: sandboxPolicy(req.runner, node.run),
      warn: req.warn,
    })
    const report = await readRunnerReport(outDir, outcome, timeoutMs, req.limits)
    if (!report.ok) return {ok: false, reason: report.reason, returns: new Map(), positions: new Map()}
    const read = async (name: string) => seriesByDate(await readFile(join(outDir, name), 'utf8').catch(() => 'date,value\n'))
    return {ok: true, returns: await read('returns.csv'), positions: await read('positions.csv')}
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

/** Runs tasks with at most `limit` at once, results in order. */
export async function inBatches<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length)
  let next = 0
  await Promise.all(
    Array.from({length: Math.min(limit, tasks.length)}, async () => {
      while (next < tasks.length) {
        const i = next++
        results[i] = await tasks[i]!()
      }
    }),
  )
  return results
}
