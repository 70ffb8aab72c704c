import {open, rename, rm, stat} from 'node:fs/promises'

const STALE_MS = 10_000

/**
 * A traffic light for writers on one machine: processes take turns from
 * reading the tip to moving the branch, instead of all building commits of
 * which all but one lose the compare-and-swap. Correctness never rests on it:
 * the compare-and-swap does. A lock older than 10 s (its holder died) is taken over.
 */
export class CommitLock {
  constructor(private readonly file: string) {}

  async acquire(): Promise<() => Promise<void>> {
    for (let attempt = 0; ; attempt++) {
      try {
        const handle = await open(this.file, 'wx')
        await handle.writeFile(String(process.pid))
        await handle.close()
        return () => rm(this.file, {force: true})
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      }
      if (attempt % 50 === 49 && (await this.isStale())) {
        // move the stale lock aside atomically so only one waiter removes it
        await rename(this.file, `${this.file}.stale.${process.pid}`).then(
          () => rm(`${this.file}.stale.${process.pid}`, {force: true}),
          () => {},
        )
        continue
      }
      await new Promise((r) => setTimeout(r, 1 + Math.random() * 3))
    }
  }

  private async isStale(): Promise<boolean> {
    try {
      return Date.now() - (await stat(this.file)).mtimeMs > STALE_MS
    } catch {
      return false
    }
  }
}
