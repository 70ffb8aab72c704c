import {countOutcome, type OutcomeCounts, type WorkEvent} from '../core/flows/worker.js'
import {someIds} from '../core/state/ids.js'
import {renderTable} from './table.js'

export interface Progress {
  onEvent(event: WorkEvent): void
  /**
   * A line to be read now (the stop began; Ctrl-C again leaves at once). A live display shows it as a line of its
   * own: listr2 holds back what is written to stdout and stderr while it draws, until the display is over, which
   * on a stop is when the claims are back.
   */
  notice(line: string): void
  /** resolves when the display is finished (and, live, its summary printed) */
  done(): Promise<void>
}

/**
 * Lines written together once per turn of the event loop: with short runs a
 * worker prints hundreds of lines a second, and a write to a pipe per line
 * woke its reader every time (a few percent of the work loop's thread).
 * `flush` writes what is pending at once: before a line printed otherwise, and at the end.
 */
export function batchedLines(write: (text: string) => void): {write: (line: string) => void; flush: () => void} {
  let pending: string[] = []
  let scheduled: NodeJS.Immediate | undefined
  const flush = () => {
    if (scheduled) clearImmediate(scheduled)
    scheduled = undefined
    if (pending.length === 0) return
    const text = pending.join('\n')
    pending = []
    write(text)
  }
  return {
    write(line) {
      pending.push(line)
      scheduled ??= setImmediate(flush)
    },
    flush,
  }
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
            const extra = [o.reason, o.spawned.length ? `spawned ${someIds(o.spawned)}` : ''].filter(Boolean).join('; ')
            write(`${o.status} ${o.id} in ${(o.durationMs / 1000).toFixed(1)}s${extra ? ` (${extra})` : ''}`)
          } else write(`${o.kind} ${o.id}${o.kind === 'lost' ? ` (${o.why})` : ''}`)
          break
        }
        case 'idle':
          write(`nothing claimable (${event.reason})${event.detail ? `: ${event.detail}` : ''}`)
          break
        case 'waiting':
          write(`waiting: ${waitingText(event)}`)
          break
        case 'error':
          write(`error in slot ${event.slot}: ${event.message}`)
      }
    },
    notice: write,
    done: async () => {},
  }
}

/** Why a following worker waits, in one line. */
function waitingText(event: Extract<WorkEvent, {type: 'waiting'}>): string {
  const why = event.reason === 'unreachable' ? 'the remote is unreachable' : `nothing claimable (${event.reason})`
  return `${why}${event.detail ? `: ${event.detail}` : ''}`
}

export interface NodeResult {
  id: string
  /** the verdict's status, or released / lost */
  result: string
  seconds: number
  /** undefined for a node no slot started (claimed ahead, put back) */
  slot: number | undefined
  note: string
}

/**
 * What the live display shows, kept apart from drawing it: per slot the node it
 * runs now and since when, one tally for all slots, and every node's result for
 * the summary at the end.
 */
export class ProgressBoard {
  private readonly running: Array<{id: string; since: number} | undefined>
  private readonly errors: Array<string | undefined>
  /** when each node still without a result was claimed */
  private readonly started = new Map<string, number>()
  private idle: string | undefined
  readonly results: NodeResult[] = []
  /** counted by the rule the worker's summary is counted by: the tally and the summary line agree */
  private readonly counts: OutcomeCounts = {finished: 0, released: 0, lost: 0, by_status: {}}

  constructor(
    readonly slots: number,
    private readonly now: () => number = Date.now,
  ) {
    this.running = Array.from({length: slots}, () => undefined)
    this.errors = Array.from({length: slots}, () => undefined)
  }

  apply(event: WorkEvent): void {
    if (event.type === 'claimed') {
      this.running[event.slot] = {id: event.id, since: this.now()}
      this.started.set(event.id, this.now())
      this.errors[event.slot] = undefined
      this.idle = undefined
    } else if (event.type === 'finished') {
      const o = event.outcome
      countOutcome(this.counts, o)
      const since = this.started.get(o.id)
      this.started.delete(o.id)
      const seconds = o.kind === 'verdict' ? o.durationMs / 1000 : since !== undefined ? (this.now() - since) / 1000 : 0
      const note =
        o.kind === 'verdict'
          ? [o.reason, o.spawned.length ? `spawned ${someIds(o.spawned)}` : ''].filter(Boolean).join('; ')
          : o.kind === 'lost'
            ? o.why
            : ''
      this.results.push({id: o.id, result: o.kind === 'verdict' ? o.status : o.kind, seconds, slot: event.slot, note})
      // a slot claims its next node as soon as the runner ends, so this verdict may land after the next claim
      if (event.slot !== undefined && this.running[event.slot]?.id === o.id) this.running[event.slot] = undefined
    } else if (event.type === 'idle') {
      this.idle = `nothing claimable (${event.reason})`
    } else if (event.type === 'waiting') {
      this.idle = `waiting: ${event.reason === 'unreachable' ? 'remote unreachable' : `nothing claimable (${event.reason})`}`
    } else {
      this.errors[event.slot] = event.message
    }
  }

  /** `slot 2: running trend/x (12s)`, or what the slot is waiting for. */
  slotLine(slot: number): string {
    const run = this.running[slot]
    if (run) return `slot ${slot + 1}: running ${run.id} (${formatSeconds((this.now() - run.since) / 1000)})`
    const error = this.errors[slot]
    return error ? `slot ${slot + 1}: error: ${error}` : `slot ${slot + 1}: idle`
  }

  /** The one shared counter. */
  tallyLine(): string {
    const {finished, released, lost, by_status} = this.counts
    const accepted = by_status.proven_accepted ?? 0
    const rejected = by_status.proven_rejected ?? 0
    const other = finished - accepted - rejected
    const runningNow = this.running.filter(Boolean).length
    // a claim put back (a stop) or lost did not finish: said apart, as the summary line says it
    return `${finished} finished: ${accepted} accepted, ${rejected} rejected, ${other} other${endedUnfinished({released, lost})}; ${runningNow} running${this.idle && runningNow === 0 ? `; ${this.idle}` : ''}`
  }

  /** Every finished node, in the order they finished. */
  summaryTable(stream?: {isTTY?: boolean}): string {
    const rows = this.results.map((r) => [r.id, r.result, formatSeconds(r.seconds), r.slot === undefined ? '-' : r.slot + 1, r.note || '-'])
    return renderTable(['node', 'result', 'time', 'slot', 'note'], rows, {stream})
  }
}

/** `; 3 put back; 1 lost`, each part only when there are any: the tally's and the work summary line's words for them. */
export function endedUnfinished(counts: Pick<OutcomeCounts, 'released' | 'lost'>): string {
  return `${counts.released ? `; ${counts.released} put back` : ''}${counts.lost ? `; ${counts.lost} lost` : ''}`
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`
  const m = Math.floor(seconds / 60)
  return `${m}m${String(Math.round(seconds - 60 * m)).padStart(2, '0')}s`
}
