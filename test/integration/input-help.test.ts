import {afterEach, describe, expect, it} from 'vitest'
import {rigor} from '../helpers/cli.js'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'

let repo: TempRepo | undefined
afterEach(() => repo?.cleanup())

describe('rigor help given bad usage', () => {
  it('a flag help does not take, or a command that does not exist, is exit 2 with the fix and no stack trace', () => {
    repo = gitRepo({init: false})
    // `help nosuch --json`: oclif showed help for "nosuch" after the bad flag, which failed again: exit 1 and a stack
    for (const args of [
      ['help', 'nosuch', '--json'],
      ['help', 'status', '--json'],
      ['help', '--nosuch'],
    ]) {
      const result = rigor(repo.dir, args)
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2)
      expect(result.stderr).toMatch(/^Error: Nonexistent flag: --(json|nosuch)\nFix: see `rigor help --help`\n/)
      expect(result.stderr).not.toMatch(/\n\s+at /)
    }
    const unknown = rigor(repo.dir, ['help', 'nosuch', 'here'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/^Error: "nosuch here" is not a rigor command\nFix: `rigor help` lists every command\n/)
    expect(unknown.stderr).not.toMatch(/\n\s+at /)
    // what help is for still works
    expect(rigor(repo.dir, ['help', 'stats', 'dsr']).stdout).toContain('Deflated Sharpe Ratio')
    expect(rigor(repo.dir, ['help']).code).toBe(0)
  })

  it('a flag rule broken (a required flag missing, two that exclude each other, one that needs another) names each flag, on one line', () => {
    repo = gitRepo({init: false})
    const cases: [string[], string, string][] = [
      [['audit', 'x/y'], '--auditor is required', 'audit'],
      [['schedule', 'uninstall', '--systemd', '--cron'], '--cron and --systemd cannot be given together', 'schedule uninstall'],
      [['work', '--poll', '10s'], '--poll needs --follow', 'work'],
    ]
    for (const [args, message, command] of cases) {
      const result = rigor(repo.dir, args)
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2)
      // oclif said "The following error occurred:\n  Missing required flag auditor" (the flag without its dashes), and each half of an exclusive pair
      expect(result.stderr.startsWith(`Error: ${message}\nFix: see \`rigor ${command} --help\`\n`), result.stderr).toBe(true)
    }
  })
})
