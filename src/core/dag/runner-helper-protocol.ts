import type {RunnerExit, RunnerLaunch} from './launcher.js'

/** What rigor asks its runner helper: start this runner, called `id` in the replies; run or end a held one. */
export type HelperRequest = {id: number; launch: RunnerLaunch} | {id: number; release: boolean}

/** What the helper answers: it is ready, a runner's pid (null: it did not start) and start time, a runner's exit. */
export type HelperReply =
  | {ready: true}
  | {id: number; pid: number | null; start: number | null; kept?: boolean}
  | {id: number; exit: RunnerExit}
