import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {packageRoot} from '../../package-root.js'
import {availableParallelism} from 'node:os'
import {Worker} from 'node:worker_threads'
import {InternalError} from '../../errors.js'
import {returnsChartSvg} from './returns-chart.js'

/**
 * Draws returns charts on worker threads, one per spare core: a first build of
 * a large workspace draws thousands of charts, and drawing is pure computation.
 * Threads start on the first chart (a rebuild with no new returns starts none);
 * with one core, or where a thread cannot start, charts are drawn in this thread.
 * The build closes the pool when it has written the site.
 */
export class ChartPool {
  private workers: Worker[] = []
  private readonly pending = new Map<number, {text: string; resolve: (svg: string) => void; reject: (err: Error) => void}>()
  private nextId = 0
  private next = 0
  private failed = false

  constructor(private readonly size = Math.max(0, availableParallelism() - 1)) {}

  draw(text: string): Promise<string> {
    if (this.size === 0 || this.failed) return Promise.resolve(returnsChartSvg(text))
    if (this.workers.length === 0) this.start()
    if (this.failed) return Promise.resolve(returnsChartSvg(text))
    const id = this.nextId++
    const worker = this.workers[this.next++ % this.workers.length]!
    return new Promise((resolve, reject) => {
      this.pending.set(id, {text, resolve, reject})
      worker.postMessage({id, text})
    })
  }

  private start(): void {
    try {
      for (let i = 0; i < this.size; i++) {
        const worker = new Worker(chartWorkerFile())
        worker.on('message', (answer: {id: number; svg?: string; error?: string}) => {
          const job = this.pending.get(answer.id)
          this.pending.delete(answer.id)
          if (answer.svg !== undefined) job?.resolve(answer.svg)
          else job?.reject(new InternalError(`drawing a chart failed: ${answer.error}`))
        })
        // a thread that dies: what it was sent, and everything after, is drawn here
        worker.on('error', () => {
          this.failed = true
          for (const job of this.pending.values()) job.resolve(returnsChartSvg(job.text))
          this.pending.clear()
          void this.close()
        })
        this.workers.push(worker)
      }
    } catch {
      this.failed = true
      void this.close()
    }
  }

  async close(): Promise<void> {
    const workers = this.workers
    this.workers = []
    await Promise.all(workers.map((w) => w.terminate()))
  }
}

/**
 * The worker's module as tsc wrote it (dist/core/views/site/chart-worker.js):
 * found from the package root, since this code also runs from the CLI bundle,
 * dist/rigor.cjs and, under the tests, from src/. Missing, the pool draws in process.
 */
function chartWorkerFile(): string {
  const file = join(packageRoot(import.meta.url), 'dist', 'core', 'views', 'site', 'chart-worker.js')
  if (!existsSync(file)) throw new InternalError(`no ${file}: run npm run build`)
  return file
}
