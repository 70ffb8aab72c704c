import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {BIN, rigor} from '../helpers/cli.js'
import {checked, ROOT, scheduleWorkspace, scratchDir, script} from './schedule-helpers.js'

/** `rigor schedule install --systemd`: user units that systemd itself accepts (systemd-analyze verify). */

const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0

let scratch: string
afterEach(() => rmSync(scratch, {recursive: true, force: true}))
const setup = () => scheduleWorkspace((scratch = scratchDir()))

describe('rigor schedule install --systemd', () => {
  it('writes a service and a timer that systemd accepts, replaces them on reinstall, and uninstall removes them', () => {
    const {dir, home, env} = setup()
    const unitDir = join(home, '.config/systemd/user')
    const bad = rigor(dir, ['schedule', 'install', '--systemd', '--at', '3:17'], env)
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('field "--at"')
    const dry = rigor(dir, ['schedule', 'install', '--systemd', '--dry-run'], env)
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stdout).toContain('OnCalendar=*-*-* 03:17:00')
    expect(existsSync(unitDir)).toBe(false)
    // a file where a folder of XDG_CONFIG_HOME should be: exit 2 naming the variable, not an unexpected ENOTDIR
    writeFileSync(join(home, 'not-a-folder'), '')
    const file = rigor(dir, ['schedule', 'install', '--systemd', '--json'], {...env, XDG_CONFIG_HOME: join(home, 'not-a-folder')})
    expect(file.code).toBe(2)
    expect(JSON.parse(file.stdout).error.message).toBe(
      `field "XDG_CONFIG_HOME": cannot make the folder for user units ${join(home, 'not-a-folder/systemd/user')} (ENOTDIR)`,
    )

    const installed = checked('schedule install', dir, ['--systemd', '--at', '04:05', '--parallel', '3'], env)
    const [service, timer] = installed.files.map((f: {path: string}) => readFileSync(f.path, 'utf8'))
    expect(readdirSync(unitDir).sort()).toEqual([`rigor-cycle-${installed.id}.service`, `rigor-cycle-${installed.id}.timer`])
    expect(installed.id).toMatch(/^my-lab-s-100-work-[0-9a-f]{8}$/)
    expect(service).toContain(`WorkingDirectory=${dir.replace(/%/g, '%%')}\n`)
    expect(service).toContain(`ExecStart="${process.execPath}" "${BIN}" "schedule" "run" "--parallel" "3"\n`)
    expect(service).toMatch(/^Environment="PATH=.+"$/m)
    expect(timer).toContain('OnCalendar=*-*-* 04:05:00\nPersistent=true\n')
    expect(timer).toContain('WantedBy=timers.target')
    expect(installed.next[0]).toBe(`systemctl --user daemon-reload && systemctl --user enable --now rigor-cycle-${installed.id}.timer`)

    const again = checked('schedule install', dir, ['--systemd', '--at', '05:30'], env)
    expect(again.id).toBe(installed.id)
    expect(readdirSync(unitDir)).toHaveLength(2)
    expect(readFileSync(again.files[1].path, 'utf8')).toContain('OnCalendar=*-*-* 05:30:00\n')

    // what systemctl --user would say of the timer, from a stand-in (rigor only reads it)
    const systemctl = script(
      join(scratch, 'systemctl'),
      'printf "ActiveState=active\\nUnitFileState=enabled\\nNextElapseUSecRealtime=Thu 2030-01-03 05:30:00 UTC\\nLastTriggerUSec=n/a\\nLoadState=loaded\\n"\n',
    )
    const status = checked('schedule status', dir, [], {...env, RIGOR_SYSTEMCTL: systemctl, RIGOR_CRONTAB: join(scratch, 'none')})
    expect(status.systemd).toMatchObject({
      service: {present: true},
      timer: {present: true, on_calendar: '*-*-* 05:30:00'},
      state: {available: true, active: 'active', enabled: 'enabled', next_run: 'Thu 2030-01-03 05:30:00 UTC'},
    })
    expect(status.systemd.state.last_run).toBeUndefined()
    expect(status.cron).toEqual({available: false})
    expect(status.last_run).toBeUndefined()

    // enabled by hand: uninstall removes the link systemctl made, too; and edited (systemctl --user edit): its drop-in
    mkdirSync(join(unitDir, 'timers.target.wants'))
    symlinkSync(again.files[1].path, join(unitDir, 'timers.target.wants', `rigor-cycle-${again.id}.timer`))
    const dropIn = join(unitDir, `rigor-cycle-${again.id}.service.d`)
    mkdirSync(dropIn)
    writeFileSync(join(dropIn, 'override.conf'), '[Service]\nEnvironment="RIGOR_SIGNING_KEY=/home/me/.ssh/risk"\n')
    const removed = checked('schedule uninstall', dir, ['--systemd'], env)
    expect(removed.removed_files).toHaveLength(4)
    expect(removed.removed_files).toContain(dropIn)
    expect(readdirSync(unitDir)).toEqual(['timers.target.wants'])
    expect(readdirSync(join(unitDir, 'timers.target.wants'))).toEqual([])
  })

  it('a workspace moved since: its old schedule is not its own, and uninstall --id removes it from anywhere', () => {
    const {dir, home, env} = setup()
    const unitDir = join(home, '.config/systemd/user')
    const table = join(scratch, 'crontab.txt')
    const other = '0 1 * * * /usr/bin/backup --all # not rigor\n'
    writeFileSync(table, other)
    const crontab = script(
      join(scratch, 'crontab'),
      `case "$1" in\n  -l) cat '${table}' ;;\n  -) cat > '${table}' ;;\n  *) exit 2 ;;\nesac\n`,
    )
    const cronEnv = {...env, RIGOR_CRONTAB: crontab, RIGOR_SYSTEMCTL: join(scratch, 'none')}
    const old = checked('schedule install', dir, ['--systemd'], cronEnv)
    checked('schedule install', dir, ['--cron'], cronEnv)
    const moved = join(scratch, 'moved')
    renameSync(dir, moved)
    const status = checked('schedule status', moved, [], cronEnv)
    expect(status.id).not.toBe(old.id)
    expect(status.systemd.timer.present).toBe(false)
    expect(status.cron.line).toBeUndefined()
    // the old id, from the crontab's marker (each % written \\% for cron); a value that could name another path is refused
    expect(readFileSync(table, 'utf8')).toContain(`# rigor-schedule:${old.id} ${dir.replace(/%/g, '\\%')}`)
    for (const bad of ['../x-1a2b3c4d', 'my-lab', 'My-lab-1a2b3c4d']) {
      const refused = rigor(moved, ['schedule', 'uninstall', '--id', bad], cronEnv)
      expect(refused.code, bad).toBe(2)
      expect(refused.stderr).toContain('field "--id"')
    }
    // from a folder that is no workspace at all
    const removed = checked('schedule uninstall', scratch, ['--id', old.id], cronEnv)
    expect(removed).toMatchObject({id: old.id, removed_line: true})
    expect(removed.removed_files).toHaveLength(2)
    expect(readdirSync(unitDir)).toEqual([])
    expect(readFileSync(table, 'utf8')).toBe(other)
  })

  it('refuses a workspace whose path ends in a backslash: systemd would join the next line of the unit to it', () => {
    const {dir, env} = scheduleWorkspace((scratch = scratchDir()), 'lab \\')
    const result = rigor(dir, ['schedule', 'install', '--systemd', '--dry-run'], env)
    expect(result.code, result.stdout).toBe(2)
    expect(result.stderr).toMatch(/workspace cannot be written into a systemd unit: .*ends in a blank or a backslash[\s\S]*Fix: /)
  })

  it('a user cron refuses (cron.deny) still sees and removes the units: status and uninstall say the crontab cannot be read', () => {
    const {dir, env} = setup()
    const denied = script(
      join(scratch, 'crontab'),
      'echo "You (tester) are not allowed to use this program (crontab)" >&2\necho "See crontab(1) for more information" >&2\nexit 1\n',
    )
    const deniedEnv = {...env, RIGOR_CRONTAB: denied, RIGOR_SYSTEMCTL: join(scratch, 'no-systemctl')}
    const installed = checked('schedule install', dir, ['--systemd'], deniedEnv)
    const status = checked('schedule status', dir, [], deniedEnv)
    expect(status.systemd).toMatchObject({service: {present: true}, timer: {present: true}})
    expect(status.cron).toEqual({available: false, problem: expect.stringContaining('You (tester) are not allowed to use this program')})
    expect(rigor(dir, ['schedule', 'status'], deniedEnv).stdout).toMatch(/^cron: the crontab cannot be read: .* not allowed/m)
    // --cron alone: the refusal is the answer, and nothing else is touched
    const cronOnly = rigor(dir, ['schedule', 'uninstall', '--cron'], deniedEnv)
    expect(cronOnly.code).toBe(1)
    expect(cronOnly.stderr).toContain('not allowed to use this program')
    expect(installed.files.every((f: {path: string}) => existsSync(f.path))).toBe(true)
    const removed = rigor(dir, ['schedule', 'uninstall'], deniedEnv)
    expect(removed.code, removed.stderr).toBe(0)
    expect(removed.stdout).toContain('then run:\n  systemctl --user stop')
    // oclif wraps a warning to the width of a terminal: its lines joined again
    expect(removed.stderr.replace(/\s*\n ›\s+/g, ' ')).toMatch(/no crontab line was looked for: .* not allowed to use this program/)
    expect(installed.files.some((f: {path: string}) => existsSync(f.path))).toBe(false)
    const again = checked('schedule uninstall', dir, [], deniedEnv)
    expect(again).toMatchObject({removed_files: [], removed_line: false, problem: expect.stringContaining('not allowed')})
  })

  it('refuses a PATH with a line break naming PATH (the shell that runs install), not a flag, and writes nothing', () => {
    const {dir, home, env} = setup()
    const result = rigor(dir, ['schedule', 'install', '--systemd', '--json'], {...env, PATH: `/usr/bin:/bin:/opt/a\nb`})
    expect(result.code, result.stdout).toBe(2)
    const error = JSON.parse(result.stdout).error
    expect(error.message).toMatch(/^field "PATH": PATH, which the job keeps: .* contains a line break/)
    expect(error.fix).toContain('env PATH=')
    expect(existsSync(join(home, '.config/systemd/user'))).toBe(false)
  })

  it.skipIf(!hasSystemdAnalyze)(
    'the worker pool units of docs/scheduling.md pass systemd-analyze verify, and each waits before a restart',
    () => {
      scratch = scratchDir()
      const doc = readFileSync(join(ROOT, 'docs/scheduling.md'), 'utf8')
      const units = [...doc.matchAll(/```ini\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((text) => /^Restart=/m.test(text))
      expect(units.map((text) => /^ExecStart=.* "(work|supervise)" /m.exec(text)?.[1])).toEqual(['work', 'supervise'])
      const files = units.map((text, i) => {
        const path = join(scratch, i === 0 ? 'rigor-worker@1.service' : 'rigor-supervise.service')
        writeFileSync(path, text)
        return path
      })
      for (const text of units) {
        // systemd gives up on a unit started 5 times within 10 s (StartLimitBurst=, StartLimitIntervalSec=), and restarts
        // after 100 ms by default: a supervisor that cannot start yet (a remote not reachable at boot, a rigor.yaml being
        // fixed) would be given up on for good
        expect(Number(/^RestartSec=(\d+)$/m.exec(text)?.[1] ?? 0)).toBeGreaterThanOrEqual(10)
      }
      const runtime = join(scratch, 'runtime')
      mkdirSync(runtime, {mode: 0o700})
      const verify = spawnSync('systemd-analyze', ['verify', '--user', ...files], {
        env: {...process.env, HOME: scratch, XDG_RUNTIME_DIR: runtime},
        encoding: 'utf8',
      })
      expect(verify.status, verify.stderr).toBe(0)
      expect(verify.stderr.trim()).toBe('')
    },
  )

  it.skipIf(!hasSystemdAnalyze)(
    `the units pass systemd-analyze verify${hasSystemdAnalyze ? '' : ' (skipped: systemd-analyze is not installed; apt-get install systemd)'}`,
    () => {
      const {dir, home, env} = setup()
      const installed = checked('schedule install', dir, ['--systemd'], {...env, XDG_CONFIG_HOME: join(home, 'cfg')})
      expect(installed.files[0].path.startsWith(join(home, 'cfg/systemd/user/'))).toBe(true)
      // --user needs a runtime directory; the test's own one, never the real user's manager
      const runtime = join(scratch, 'runtime')
      mkdirSync(runtime, {mode: 0o700})
      const verify = spawnSync('systemd-analyze', ['verify', '--user', ...installed.files.map((f: {path: string}) => f.path)], {
        env: {...process.env, HOME: home, XDG_RUNTIME_DIR: runtime},
        encoding: 'utf8',
      })
      expect(verify.status, verify.stderr).toBe(0)
      expect(verify.stderr.trim()).toBe('')
      expect(verify.stdout.trim()).toBe('')
    },
  )
})
