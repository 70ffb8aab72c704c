import {runText, type TextResult} from './spawn-text.js'

/** how many objects a process writes between two of git's checks: a claim and a verdict write about thirteen */
export const CHECK_EVERY_OBJECTS = 2000

/**
 * git's own housekeeping for the loose objects rigor writes. rigor moves the
 * branch with plumbing, and plumbing never runs `git gc --auto` the way `git
 * commit` does: a workspace grew by ~13 uncompressed loose objects a node (23
 * MB for 300 instant nodes, the experiments tree of every commit among them)
 * and was never packed. So rigor runs `git gc --auto` itself: in the background
 * every CHECK_EVERY_OBJECTS objects a process writes, and when a command that
 * wrote any ends. git decides whether there is work (more than `gc.auto` loose
 * objects, 6,700 by default; `gc.auto=0` turns it off) and how to do it safely
 * beside other writers. Never detached (`gc.autoDetach=false`): no child
 * outlives a command, so the command waits for a check it started; it shares
 * the command's process group, so a Ctrl-C or a batch system's SIGTERM stops it
 * with the command (git removes its unfinished pack).
 */
export class Housekeeping {
  private running?: Promise<void>
  private checkedAt = 0

  constructor(
    private readonly cwd: string,
    private readonly run: (cwd: string) => Promise<TextResult> = gcAuto,
    private readonly every = CHECK_EVERY_OBJECTS,
  ) {}

  /** After `written` objects in all: starts a check in the background once `every` more were written since the last. */
  maybeStart(written: number): void {
    if (written - this.checkedAt < this.every) return
    this.start(written)
  }

  /** At the end of a command: a check if it wrote objects since the last one, and the one running, awaited. */
  async finish(written: number): Promise<void> {
    if (written > this.checkedAt && !this.running) this.start(written)
    await this.running
  }

  private start(written: number): void {
    if (this.running) return
    this.checkedAt = written
    // best effort: a gc that failed (a full disk) or was stopped leaves the objects as they were, and git says why
    // at its next gc; one another process runs already (gc.pid) is left to it
    this.running = this.run(this.cwd).then(() => {
      this.running = undefined
    })
  }
}

/** `git gc --auto`, in the foreground whatever the user's gc.autoDetach says. */
function gcAuto(cwd: string): Promise<TextResult> {
  return runText('git', ['-c', 'gc.autoDetach=false', 'gc', '--auto', '--quiet'], {cwd, env: {GIT_TERMINAL_PROMPT: '0'}})
}
