import type {ChildProcess} from 'node:child_process'

/**
 * Ends a long-lived git process (cat-file --batch, update-ref --stdin) by
 * closing its stdin, and resolves once it has exited, so that no git process
 * outlives the command that started it. One that has not exited after
 * `graceMs` is killed.
 */
export function endProcess(proc: ChildProcess | undefined, graceMs = 10_000): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs)
    proc.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    // the process was unreferenced while idle; waiting for it must keep this one alive
    proc.ref()
    proc.stdin?.end()
  })
}
