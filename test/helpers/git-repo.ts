import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

/** Environment for git in tests: fixed author, no signing, no gc, no user or system config. */
export const GIT_ENV: Record<string, string> = {
  GIT_AUTHOR_NAME: 'Rigor Test',
  GIT_AUTHOR_EMAIL: 'test@rigor.invalid',
  GIT_COMMITTER_NAME: 'Rigor Test',
  GIT_COMMITTER_EMAIL: 'test@rigor.invalid',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
}

export interface TempRepo {
  dir: string
  git(...args: string[]): string
  cleanup(): void
}

/**
 * A temporary git repository on branch main with a fixed author, no gc and no signing; under `base` when given (a
 * sandboxed runner sees neither /tmp nor /dev/shm of the host, so what it must see elsewhere is made elsewhere).
 */
export function gitRepo(opts: {init?: boolean; base?: string} = {}): TempRepo {
  const dir = mkdtempSync(join(opts.base ?? tmpdir(), 'rigor-test-'))
  const git = (...args: string[]) => execFileSync('git', args, {cwd: dir, env: {...process.env, ...GIT_ENV}, encoding: 'utf8'}).trim()
  if (opts.init !== false) {
    git('init', '-q', '-b', 'main')
    git('config', 'gc.auto', '0')
    git('config', 'commit.gpgsign', 'false')
    git('config', 'user.name', 'Rigor Test')
    git('config', 'user.email', 'test@rigor.invalid')
  }
  return {dir, git, cleanup: () => rmSync(dir, {recursive: true, force: true})}
}
