import {parentPort} from 'node:worker_threads'
import {returnsChartSvg} from './returns-chart.js'

// a thread of ChartPool (chart-pool.ts): draws the charts it is sent, one at a time
parentPort?.on('message', (job: {id: number; text: string}) => {
  try {
    parentPort!.postMessage({id: job.id, svg: returnsChartSvg(job.text)})
  } catch (err) {
    parentPort!.postMessage({id: job.id, error: err instanceof Error ? err.message : String(err)})
  }
})
