import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import {json, rigor, rigorAsync} from '../helpers/cli.js'
import {SLOW, waitFor} from '../helpers/processes.js'

// demo.test.ts runs the whole demo; this one needs only the demo's first step (its repository), so it stops the demo with
// Ctrl-C as soon as that step is reported: a second whole demo cost this suite about a minute of CPU
let dir: string
afterEach(() => rmSync(dir, {recursive: true, force: true}))

describe('rigor demo inside another repository', () => {
  it('makes its own repository even inside another one (the README runs it in this checkout); Ctrl-C after init stops it cleanly', {
    timeout: SLOW,
  }, async () => {
    dir = mkdtempSync(join(tmpdir(), 'rigor-demo-test-'))
    execFileSync('git', ['init', '-q', '-b', 'main'], {cwd: dir})
    writeFileSync(join(dir, 'rigor.yaml'), 'version: 1\n')
    const target = join(dir, 'nested-demo')
    const demo = rigorAsync(dir, ['demo', target])
    await waitFor('the demo to report its init step', () => /^init: workspace and git repository in /m.test(demo.output()), 120_000)
    demo.kill('SIGINT')
    const result = await demo
    expect(result.code, result.stdout + result.stderr).toBe(130)
    expect(result.stdout).toContain('stopped: interrupted after the work step')
    expect(result.stdout).not.toMatch(/^(audit|deploy|rank|report|site): /m)

    expect(execFileSync('git', ['rev-parse', '--show-toplevel'], {cwd: target, encoding: 'utf8'}).trim()).toBe(target)
    // the outer repository got no commit and no ref from the demo
    expect(execFileSync('git', ['for-each-ref'], {cwd: dir, encoding: 'utf8'})).toBe('')
    expect(rigor(target, ['verify']).code).toBe(0)
    // the first Ctrl-C puts back whatever the work step had claimed
    const status = json(rigor(target, ['status', '--json']))
    expect(status.total).toBeGreaterThan(0)
    expect(status.by_status.running ?? 0).toBe(0)
  })

  it('a demo folder named with a quote and a backslash gets its auditor key into rigor.yaml whole, not a YAML error', {
    timeout: SLOW,
  }, async () => {
    dir = mkdtempSync(join(tmpdir(), 'rigor-demo-quote-'))
    const target = join(dir, 'q"d\\x')
    const demo = rigorAsync(dir, ['demo', target])
    let exited = false
    void demo.then(() => (exited = true))
    await waitFor('the demo to report its init step, or to end', () => exited || /^init: /m.test(demo.output()), 120_000)
    demo.kill('SIGINT')
    const result = await demo
    expect(result.code, result.stdout + result.stderr).toBe(130)
    const auditors = parse(readFileSync(join(target, 'rigor.yaml'), 'utf8')).auditors
    expect(auditors[0].key).toMatch(/^ssh-ed25519 \S+ demo-auditor@q_d_x$/)
    expect(rigor(target, ['verify']).code).toBe(0)
  })

  it('init and demo given a file (or a path through one) as the directory: exit 2 naming it, nothing made', () => {
    dir = mkdtempSync(join(tmpdir(), 'rigor-file-dir-'))
    const file = join(dir, 'notes.txt')
    writeFileSync(file, 'not a directory\n')
    for (const [args, target] of [
      [['init', file], file],
      [['init', join(file, 'sub'), '--json'], join(file, 'sub')],
      [['demo', file], file],
      [['demo', join(file, 'sub'), '--json'], join(file, 'sub')],
    ] as const) {
      const result = rigor(dir, [...args])
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2)
      const message = args.includes('--json') ? json(result).error.message : result.stderr
      expect(message).toContain(
        `${file} is a file, not a directory: no workspace can be made ${target === file ? 'there' : `in ${target}`}`,
      )
    }
    expect(execFileSync('ls', ['-A', dir], {encoding: 'utf8'})).toBe('notes.txt\n')
  })

  it('init of a folder inside another repository: a new or empty one gets its own repository, a full one is exit 2; nothing lands at the top', () => {
    dir = mkdtempSync(join(tmpdir(), 'rigor-init-nested-'))
    const git = (cwd: string, ...args: string[]) => execFileSync('git', args, {cwd, encoding: 'utf8'}).trim()
    git(dir, 'init', '-q', '-b', 'main')
    mkdirSync(join(dir, 'sub', 'full'), {recursive: true})
    writeFileSync(join(dir, 'sub', 'full', 'notes.txt'), 'mine\n')
    git(dir, 'add', '.')
    git(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'dotfiles')
    const head = git(dir, 'rev-parse', 'HEAD')
    // the quick start, run where the user's home is a repository
    const made = rigor(join(dir, 'sub'), ['init', 'research', '--json'])
    expect(made.code, made.stderr).toBe(0)
    const research = join(dir, 'sub', 'research')
    expect(json(made)).toMatchObject({root: research, created_repo: true})
    expect(git(research, 'rev-parse', '--show-toplevel')).toBe(research)
    expect(existsSync(join(research, 'rigor.yaml'))).toBe(true)
    const full = rigor(join(dir, 'sub'), ['init', 'full', '--json'])
    expect(full.code, full.stdout).toBe(2)
    expect(json(full).error.message).toBe(
      `field "DIR": ${join(dir, 'sub', 'full')} is a folder of the git repository ${dir}, and a rigor workspace is a whole repository`,
    )
    expect(rigor(join(dir, 'sub', 'full'), ['init']).code).toBe(2)
    // the enclosing repository got nothing: no rigor.yaml at its top, no commit
    expect(existsSync(join(dir, 'rigor.yaml'))).toBe(false)
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head)
    expect(git(dir, 'status', '--porcelain', '--untracked-files=no')).toBe('')
    // inside a workspace, a new folder is refused as before, and not left behind
    expect(rigor(research, ['init', 'again']).code).toBe(2)
    expect(existsSync(join(research, 'again'))).toBe(false)
  })
})
