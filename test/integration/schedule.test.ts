import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, rigorAsync} from '../helpers/cli.js'
import {GIT_ENV} from '../helpers/git-repo.js'
import {runDirs, SLOW, waitFor} from '../helpers/processes.js'
import {expectNothingLeft, processesIn, seedNodes} from './follow-helpers.js'
import {cronUnescape} from '../helpers/cron.js'
import {hasTmux, rigorInTmux, type TmuxRigor} from '../helpers/tmux.js'
import {checked, fitsSchema, ROOT, scheduleWorkspace, scratchDir, script} from './schedule-helpers.js'

/**
 * `rigor schedule install --cron`: the crontab line, checked by running it the
 * way cron would; `status` after it ran; and `schedule run` passing a SIGTERM on
 * to the cycle.
 */

const FOREVER = ['node', join(ROOT, 'test/fixtures/forever-runner.cjs')]

let scratch: string
let inTmux: TmuxRigor | undefined
afterEach(() => {
  inTmux?.kill()
  inTmux = undefined
  rmSync(scratch, {recursive: true, force: true})
})
const setup = () => scheduleWorkspace((scratch = scratchDir()))

/** A stand-in for crontab(1): `-l` prints the table (or "no crontab for ..." and exit 1), `-` replaces it. */
function fakeCrontab(table: string): string {
  return script(
    join(scratch, 'crontab'),
    `case "$1" in\n  -l) [ -f '${table}' ] || { echo "no crontab for tester" >&2; exit 1; }; cat '${table}' ;;\n  -) cat > '${table}' ;;\n  *) exit 2 ;;\nesac\n`,
  )
}

/** A crontab line's command as cron hands it to the shell. */
function asCronReadsIt(line: string): string {
  return cronUnescape(line.split(' ').slice(5).join(' '))
}

describe('rigor schedule install --cron', {timeout: SLOW}, () => {
  it('puts one tagged line into the crontab, keeps the others, and the line runs a cycle as cron would run it', () => {
    const {dir, home, env} = setup()
    const table = join(scratch, 'crontab.txt')
    const other = '0 1 * * * /usr/bin/backup --all # not rigor\n'
    writeFileSync(table, other)
    const cronEnv = {...env, RIGOR_CRONTAB: fakeCrontab(table)}
    const first = checked('schedule install', dir, ['--cron', '--at', '05:30'], cronEnv)
    expect(first).toMatchObject({kind: 'cron', installed: true, at: '05:30'})
    const second = checked('schedule install', dir, ['--cron', '--at', '06:45'], cronEnv)
    const lines = readFileSync(table, 'utf8').split('\n').filter(Boolean)
    expect(lines).toEqual([other.trim(), second.line])
    expect(second.line).toMatch(/^45 6 \* \* \* cd '.*' && PATH=.* exec .* # rigor-schedule:my-lab-s-100-work-[0-9a-f]{8} /)
    // every % escaped for cron: an unescaped one would cut the command short
    expect(second.line).not.toMatch(/[^\\]%/)
    expect(second.line).toContain(`'${dir.replace(/'/g, `'\\''`).replace(/%/g, '\\%')}'`)

    // run it the way cron does: its % escapes undone, then /bin/sh -c with cron's bare environment
    const ran = spawnSync('/bin/sh', ['-c', asCronReadsIt(second.line)], {
      env: {HOME: home, SHELL: '/bin/sh', PATH: '/usr/bin:/bin', LOGNAME: 'tester', ...GIT_ENV},
      encoding: 'utf8',
      cwd: home,
    })
    expect(ran.status, `${ran.stdout}${ran.stderr}`).toBe(0)
    expect(ran.stdout).toContain('scheduled cycle: ok (exit 0)')
    const status = checked('schedule status', dir, [], cronEnv)
    expect(status.cron).toEqual({available: true, line: second.line})
    expect(status.last_run).toMatchObject({outcome: 'ok', exit_code: 0, args: ['cycle']})
    expect(status.last_run.log.startsWith(join(dir, '.git/rigor/logs/cycle-'))).toBe(true)
    expect(readFileSync(status.last_run.log, 'utf8')).toMatch(/report: succeeded/)

    const removed = checked('schedule uninstall', dir, ['--cron'], cronEnv)
    expect(removed.removed_line).toBe(true)
    expect(readFileSync(table, 'utf8')).toBe(other)
  })

  it('a line commented out by hand is not installed: status says so, the other kind installs without a warning, uninstall removes it', () => {
    const {dir, env} = setup()
    const table = join(scratch, 'crontab.txt')
    const other = '0 1 * * * /usr/bin/backup --all # not rigor\n'
    writeFileSync(table, other)
    const cronEnv = {...env, RIGOR_CRONTAB: fakeCrontab(table), RIGOR_SYSTEMCTL: join(scratch, 'none')}
    const {line} = checked('schedule install', dir, ['--cron'], cronEnv)
    writeFileSync(table, `${other}# ${line}\n`)
    const status = checked('schedule status', dir, [], cronEnv)
    expect(status.cron).toEqual({available: true, disabled_line: `# ${line}`})
    expect(rigor(dir, ['schedule', 'status'], cronEnv).stdout).toContain('cron: not installed (its line is commented out: # ')
    expect(checked('schedule install', dir, ['--systemd'], cronEnv).warning).toBeUndefined()
    const removed = checked('schedule uninstall', dir, ['--cron'], cronEnv)
    expect(removed.removed_line).toBe(true)
    expect(readFileSync(table, 'utf8')).toBe(other)
  })

  it('warns when the workspace has the other kind of schedule too: both would start the cycle, and the second fails', () => {
    const {dir, env} = setup()
    const cronEnv = {...env, RIGOR_CRONTAB: fakeCrontab(join(scratch, 'crontab.txt'))}
    expect(checked('schedule install', dir, ['--systemd'], cronEnv).warning).toBeUndefined()
    const cron = checked('schedule install', dir, ['--cron'], cronEnv)
    expect(cron.installed).toBe(true)
    expect(cron.warning).toMatch(
      /^this workspace has a systemd timer too \(.*\.timer\): both start `rigor cycle` every day, .*rigor schedule uninstall --systemd`$/,
    )
    const text = rigor(dir, ['schedule', 'install', '--systemd', '--dry-run'], cronEnv)
    expect(text.code, text.stderr).toBe(0)
    expect(text.stderr.replace(/\s*\n ›\s+/g, ' ')).toMatch(
      /Warning: this workspace has a crontab line too: .*rigor schedule uninstall --cron`/,
    )
    checked('schedule uninstall', dir, ['--systemd'], cronEnv)
    expect(checked('schedule install', dir, ['--cron'], cronEnv).warning).toBeUndefined()
  })

  it('refuses (exit 2, the crontab untouched) a line whose command cron would refuse as too long: a long PATH', () => {
    const {dir, env} = setup()
    const table = join(scratch, 'crontab.txt')
    const other = '0 1 * * * /usr/bin/backup --all # not rigor\n'
    writeFileSync(table, other)
    // 913 bytes of PATH: Debian's and Ubuntu's crontab refuse a command of 999 bytes or more ("command too long")
    const path = `/usr/bin:/bin:${Array.from({length: 100}, (_, i) => `/opt/t${String(i).padStart(2, '0')}`).join(':')}`
    const cronEnv = {...env, RIGOR_CRONTAB: fakeCrontab(table), PATH: path}
    for (const extra of [[], ['--dry-run']]) {
      const result = rigor(dir, ['schedule', 'install', '--cron', ...extra, '--json'], cronEnv)
      expect(result.code, result.stdout).toBe(2)
      const error = JSON.parse(result.stdout).error
      expect(error.message).toMatch(
        /^field "PATH": the crontab line's command would be \d+ bytes \(PATH 913 of them\); cron refuses a command longer than 998 bytes$/,
      )
      expect(error.fix).toContain('--systemd')
    }
    expect(readFileSync(table, 'utf8')).toBe(other)
    // the same PATH fits a systemd unit
    expect(rigor(dir, ['schedule', 'install', '--systemd', '--dry-run'], cronEnv).code).toBe(0)
  })

  it('without a crontab program: prints the line and how to add it, writes nothing', () => {
    const {dir, env} = setup()
    const result = rigor(dir, ['schedule', 'install', '--cron'], {...env, RIGOR_CRONTAB: join(scratch, 'no-such-crontab')})
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/no `.*no-such-crontab` program on this machine: nothing was installed/)
    expect(result.stdout).toContain('crontab -e')
    expect(result.stdout).toMatch(/^ {2}17 3 \* \* \* cd /m)
  })
})

describe('rigor schedule run', {timeout: SLOW}, () => {
  it('passes SIGTERM on to the cycle: exit 143, recorded interrupted, claims put back, nothing left running', async () => {
    const {dir} = setup()
    seedNodes(dir, [{id: 's/forever', team: 'default', run: {command: FOREVER}}])
    const run = rigorAsync(dir, ['schedule', 'run', '--json'])
    await waitFor('the runner to start', () => runDirs(dir).some((r) => existsSync(join(dir, '.git/rigor/runs', r, 'out/ready'))))
    run.kill('SIGTERM')
    const done = await run
    expect(done.code, done.stderr).toBe(143)
    const record = json(done)
    expect(fitsSchema('schedule run', record)).toBeUndefined()
    expect(record).toMatchObject({outcome: 'interrupted', exit_code: 143})
    expect(readFileSync(record.log, 'utf8')).toMatch(/released s\/forever/)
    await expectNothingLeft(dir)
    expect(json(rigor(dir, ['status', '--json'])).by_status).toMatchObject({pending: 1, running: 0})
  })

  it.skipIf(!hasTmux)(
    'run by hand in a terminal that closes (SIGHUP): the cycle stops cleanly, its log is whole and the run recorded',
    async () => {
      const {dir} = setup()
      seedNodes(dir, [{id: 's/forever', team: 'default', run: {command: FOREVER}}])
      inTmux = rigorInTmux(dir, ['schedule', 'run'])
      await waitFor('the runner to start', () => runDirs(dir).some((r) => existsSync(join(dir, '.git/rigor/runs', r, 'out/ready'))))
      // the terminal goes away: SIGHUP, and every later write to it fails with EIO
      inTmux.kill()
      inTmux = undefined
      const runs = join(dir, '.git/rigor/logs/runs.jsonl')
      await waitFor('the run recorded', () => existsSync(runs) && readFileSync(runs, 'utf8').endsWith('\n'))
      const record = JSON.parse(readFileSync(runs, 'utf8'))
      expect(fitsSchema('schedule run', record)).toBeUndefined()
      expect(record).toMatchObject({outcome: 'interrupted', exit_code: 129})
      expect(readFileSync(record.log, 'utf8')).toMatch(/released s\/forever[\s\S]*interrupted/)
      await expectNothingLeft(dir)
      expect(json(rigor(dir, ['status', '--json'])).by_status).toMatchObject({pending: 1, running: 0})
    },
  )

  it('a cycle killed by SIGKILL (the OOM killer) is recorded failed, naming the signal, not interrupted', async () => {
    const {dir} = setup()
    seedNodes(dir, [{id: 's/forever', team: 'default', run: {command: FOREVER}}])
    const run = rigorAsync(dir, ['schedule', 'run', '--json'])
    await waitFor('the runner to start', () => runDirs(dir).some((r) => existsSync(join(dir, '.git/rigor/runs', r, 'out/ready'))))
    const cycle = processesIn(dir).find((p) => /run\.js cycle\s*$/.test(p))
    expect(cycle, processesIn(dir).join('\n')).toBeDefined()
    process.kill(Number(cycle!.split(':')[0]), 'SIGKILL')
    const done = await run
    expect(done.code, done.stderr).toBe(1)
    const record = json(done)
    expect(fitsSchema('schedule run', record)).toBeUndefined()
    expect(record).toMatchObject({outcome: 'failed', exit_code: null, error: 'killed by SIGKILL'})
    expect(readFileSync(record.log, 'utf8')).toMatch(/rigor cycle was killed by SIGKILL\n$/)
    // its runner is sandboxed: it dies with the cycle
    await waitFor('no process left in the workspace', () => processesIn(dir).length === 0)
  })

  it('a cycle the budget stopped (exit 3, which the systemd unit counts a success) is recorded stopped, not failed', () => {
    const {dir, env} = setup()
    writeFileSync(
      join(dir, 'rigor.yaml'),
      [
        'version: 1',
        'teams: [{name: default}]',
        // no budget left for an agent call: design stops before calling it
        'budget: {daily_usd: 0, reserve_per_agent_call_usd: 0.5}',
        `agent: {command: [node, ${JSON.stringify(join(ROOT, 'test/fixtures/fake-agent.mjs'))}]}`,
        'cycle: {steps: [design]}',
        '',
      ].join('\n'),
    )
    spawnSync('git', ['commit', '-qam', 'no budget'], {cwd: dir, env: {...process.env, ...GIT_ENV}})
    const run = rigor(dir, ['schedule', 'run', '--json'], env)
    expect(run.code, run.stderr).toBe(3)
    const record = json(run)
    expect(fitsSchema('schedule run', record)).toBeUndefined()
    expect(record).toMatchObject({outcome: 'stopped', exit_code: 3})
    expect(readFileSync(record.log, 'utf8')).toMatch(/stopped \(exit 3\)/)
    expect(checked('schedule status', dir, [], env).last_run).toMatchObject({outcome: 'stopped', exit_code: 3})
    expect(rigor(dir, ['schedule', 'status'], env).stdout).toMatch(/last scheduled cycle: stopped \(exit 3\)/)
  })
})
