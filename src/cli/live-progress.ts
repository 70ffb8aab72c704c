import {Listr, type ListrTaskWrapper} from 'listr2'
import {ProgressBoard, type Progress} from './progress.js'

// listr2 and what it loads take tens of milliseconds to load: a command imports this module only on a terminal

/**
 * Live progress on a terminal (listr2): one line with the shared tally, one line
 * per slot showing the node it runs now and for how long (ticking every second),
 * then a table of every node's result once the work is over.
 */
export function listrProgress(slots: number, write: (text: string) => void): Progress {
  const board = new ProgressBoard(slots)
  // line 0 is the tally, line i + 1 slot i
  const titles = [() => board.tallyLine(), ...Array.from({length: slots}, (_, i) => () => board.slotLine(i))]
  const lines: Array<ListrTaskWrapper<unknown, any, any> | undefined> = []
  let finish!: () => void
  const finished = new Promise<void>((resolve) => (finish = resolve))
  const tasks = titles.map((title, index) => ({
    title: title(),
    task: async (_ctx: unknown, task: ListrTaskWrapper<unknown, any, any>) => {
      lines[index] = task
      await finished
      task.title = title()
    },
  }))
  const list = new Listr(tasks, {
    concurrent: true,
    exitOnError: false,
    // listr2's own SIGINT handler exits 127 before rigor can stop its runners and put claims back
    registerSignalListeners: false,
    rendererOptions: {collapseSubtasks: false},
  })
  const redraw = () => {
    for (const [index, task] of lines.entries()) if (task) task.title = titles[index]()
  }
  // the elapsed times move on their own; unref: the display never keeps rigor alive
  const ticker = setInterval(redraw, 1000)
  ticker.unref()
  const running = list.run().catch(() => {})
  let live = true
  /** the display drawn one last time and ended; listr2 then writes what it held back of stdout and stderr */
  const end = () => {
    live = false
    clearInterval(ticker)
    finish()
    return running
  }
  // a notice waits for the display to end, and the summary for the notices
  let said = Promise.resolve()
  return {
    onEvent(event) {
      board.apply(event)
      if (live) redraw()
    },
    notice(line) {
      said = said.then(() => end()).then(() => write(line))
    },
    async done() {
      await end()
      await said
      if (board.results.length > 0) write(board.summaryTable())
    },
  }
}
