import {Listr, type ListrTaskWrapper} from 'listr2'
import type {WorkEvent} from '../core/flows/worker.js'

export interface Progress {
  onEvent(event: WorkEvent): void
  /** resolves when the display is finished */
  done(): Promise<void>
}

/** One plain line per event: what CI logs and pipes want. */
export function plainProgress(write: (line: string) => void): Progress {
  return {
    onEvent(event) {
      switch (event.type) {
        case 'claimed':
          write(`claimed ${event.id} (attempt ${event.attempt}) [slot ${event.slot}]`)
          break
        case 'finished': {
          const o = event.outcome
          if (o.kind === 'verdict') {
            const extra = [o.reason, o.spawned.length ? `spawned ${o.spawned.join(', ')}` : ''].filter(Boolean).join('; ')
            write(`${o.status} ${o.id} in ${(o.durationMs / 1000).toFixed(1)}s${extra ? ` (${extra})` : ''}`)
          } else write(`${o.kind} ${o.id}${o.kind === 'lost' ? ` (${o.why})` : ''}`)
          break
        }
        case 'idle':
          write(`nothing claimable (${event.reason})${event.detail ? `: ${event.detail}` : ''}`)
          break
        case 'error':
          write(`error in slot ${event.slot}: ${event.message}`)
      }
    },
    done: async () => {},
  }
}

/** Live progress on a terminal: one listr2 line per slot, showing the node it runs. */
export function listrProgress(slots: number): Progress {
  const wrappers: Array<ListrTaskWrapper<unknown, any, any> | undefined> = []
  let finish!: () => void
  const finished = new Promise<void>((resolve) => (finish = resolve))
  let counts = {done: 0, accepted: 0, rejected: 0, other: 0}
  const list = new Listr(
    Array.from({length: slots}, (_, i) => ({
      title: `slot ${i + 1}: waiting`,
      task: async (_ctx: unknown, task: ListrTaskWrapper<unknown, any, any>) => {
        wrappers[i] = task
        await finished
        task.title = `slot ${i + 1}: done`
      },
    })),
    // listr2's own SIGINT handler exits 127 before rigor can stop its runners and put claims back
    {concurrent: true, exitOnError: false, registerSignalListeners: false, rendererOptions: {collapseSubtasks: false}},
  )
  const running = list.run().catch(() => {})
  return {
    onEvent(event) {
      if (event.type === 'claimed') {
        const w = wrappers[event.slot]
        if (w) w.title = `slot ${event.slot + 1}: running ${event.id}`
      } else if (event.type === 'finished') {
        const o = event.outcome
        counts.done++
        if (o.kind === 'verdict' && o.status === 'proven_accepted') counts.accepted++
        else if (o.kind === 'verdict' && o.status === 'proven_rejected') counts.rejected++
        else counts.other++
        const w = wrappers[event.slot]
        if (w) {
          w.title = `slot ${event.slot + 1}: ${o.kind === 'verdict' ? `${o.id} ${o.status}` : `${o.id} ${o.kind}`}`
          w.output = `${counts.done} finished: ${counts.accepted} accepted, ${counts.rejected} rejected, ${counts.other} other`
        }
      }
    },
    async done() {
      finish()
      await running
      counts = {done: 0, accepted: 0, rejected: 0, other: 0}
    },
  }
}
