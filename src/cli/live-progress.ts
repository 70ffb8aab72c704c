import {writeSync} from 'node:fs'
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
  // the notice, while there is none an empty title, which listr2 draws as no line at all
  let notice = ''
  // line 0 is the tally, line i + 1 slot i, then the notice
  const titles = [() => board.tallyLine(), ...Array.from({length: slots}, (_, i) => () => board.slotLine(i)), () => notice]
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
  // listr2 hides the cursor until it ends: a command that leaves at once (a second Ctrl-C) must not leave it hidden
  const showCursor = () => {
    if (process.stdout.isTTY) writeSync(1, '\u001b[?25h')
  }
  process.once('exit', showCursor)
  const running = list.run().catch(() => {})
  return {
    onEvent(event) {
      board.apply(event)
      redraw()
    },
    notice(line) {
      notice = line
      redraw()
    },
    async done() {
      clearInterval(ticker)
      finish()
      await running
      process.off('exit', showCursor)
      if (board.results.length > 0) write(board.summaryTable())
    },
  }
}
