import type {RunnerExit, RunnerLaunch} from './launcher.js'

/** What rigor asks its runner helper: start this runner, called `id` in the replies. */
export interface HelperRequest {
  id: number
  launch: RunnerLaunch
}

/** What the helper answers: it is ready, a runner's pid (null: it did not start), a runner's exit. */
export type HelperReply = {ready: true} | {id: number; pid: number | null} | {id: number; exit: RunnerExit}
