import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {jittered, nextFetchInterval} from '../../src/core/flows/follow.js'
import {cronEscape, cronLine, findCronLine, shellWord, withCronLine, withoutCronLine} from '../../src/core/schedule/cron.js'
import {scheduledJob, scheduleId, type ScheduledJob} from '../../src/core/schedule/job.js'
import {onCalendar, serviceUnit, systemdLiteral, systemdWord, userUnitDir} from '../../src/core/schedule/systemd.js'
import {cronUnescape} from '../helpers/cron.js'
import {parseClockTime, schedulePathProblem} from '../../src/core/validation.js'

const job = (root: string, extra: Partial<ScheduledJob> = {}): ScheduledJob => ({
  root,
  id: scheduleId(root),
  argv: ['/usr/bin/node', '/opt/rigor/bin/run.js', 'schedule', 'run'],
  at: {hour: 3, minute: 17},
  ...extra,
})

describe('--at', () => {
  it('HH:MM on the 24-hour clock, nothing else', () => {
    expect(parseClockTime('03:17')).toEqual({ok: true, value: {hour: 3, minute: 17}})
    expect(parseClockTime('23:59')).toEqual({ok: true, value: {hour: 23, minute: 59}})
    for (const bad of ['24:00', '3:17', '03:60', '03:17:00', 'noon', '', '03-17']) expect(parseClockTime(bad).ok, bad).toBe(false)
  })
})

describe('systemd units', () => {
  it('ExecStart and Environment words are quoted; % and $ cannot expand', () => {
    expect(systemdWord('/a b/run.js')).toBe('"/a b/run.js"')
    expect(systemdWord('say "hi" \\ 100%')).toBe('"say \\"hi\\" \\\\ 100%%"')
    expect(systemdWord('$HOME', {dollars: true})).toBe('"$$HOME"')
    expect(systemdLiteral('/srv/50% off')).toBe('/srv/50%% off')
  })

  it('the service names the workspace literally and runs the absolute argv', () => {
    const unit = serviceUnit(job('/srv/my lab/50%', {path: '/usr/bin:/bin'}), '/home/u/.config/systemd/user').content
    expect(unit).toContain('WorkingDirectory=/srv/my lab/50%%\n')
    expect(unit).toContain('ExecStart="/usr/bin/node" "/opt/rigor/bin/run.js" "schedule" "run"\n')
    expect(unit).toContain('Environment="PATH=/usr/bin:/bin"\n')
    expect(unit).toContain('KillMode=mixed')
    expect(onCalendar({at: {hour: 4, minute: 5}})).toBe('*-*-* 04:05:00')
  })

  it('user units live under $XDG_CONFIG_HOME when it is absolute, else ~/.config', () => {
    expect(userUnitDir({HOME: '/home/u'})).toBe('/home/u/.config/systemd/user')
    expect(userUnitDir({HOME: '/home/u', XDG_CONFIG_HOME: '/cfg'})).toBe('/cfg/systemd/user')
    expect(userUnitDir({HOME: '/home/u', XDG_CONFIG_HOME: 'relative'})).toBe('/home/u/.config/systemd/user')
    expect(() => userUnitDir({})).toThrow(/HOME/)
  })
})

describe('the crontab line', () => {
  it('survives cron and the shell: spaces, quotes and % reach the program as they are', () => {
    const root = "/tmp/it's 100% mine"
    const line = cronLine(job(root, {argv: ['/bin/echo', root, 'a%b']}))
    expect(line.startsWith('17 3 * * * ')).toBe(true)
    expect(line).not.toMatch(/[^\\]%/)
    const command = cronUnescape(line.split(' ').slice(5).join(' '))
    // what the shell would run, with the cd left out (the directory does not exist)
    const echoed = execFileSync('sh', ['-c', command.replace(/^cd .*? && /, '')], {encoding: 'utf8'})
    expect(echoed).toBe(`${root} a%b\n`)
  })

  it('runs a program whose path holds "=" with the PATH it was installed with (env would read the path as a variable)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rigor-cron-'))
    try {
      const program = join(dir, 'a=b', 'prog')
      mkdirSync(dirname(program))
      writeFileSync(program, '#!/bin/sh\necho "ran with $PATH"\n', {mode: 0o755})
      const line = cronLine(job(dir, {argv: [program], path: '/opt/x:/usr/bin:/bin'}))
      const command = cronUnescape(line.split(' ').slice(5).join(' '))
      const ran = execFileSync('sh', ['-c', command], {encoding: 'utf8', env: {PATH: '/usr/bin:/bin'}})
      expect(ran).toBe('ran with /opt/x:/usr/bin:/bin\n')
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('a reinstall replaces the line; other lines stay; uninstall removes only it', () => {
    const a = job('/srv/a')
    const other = '0 1 * * * /usr/bin/backup # mine\n'
    const once = withCronLine(other, cronLine(a), a.id)
    const twice = withCronLine(once, cronLine({...a, at: {hour: 5, minute: 30}}), a.id)
    expect(twice.split('\n').filter(Boolean)).toHaveLength(2)
    expect(findCronLine(twice, a.id)).toMatch(/^30 5 \* \* \* /)
    expect(twice.startsWith(other)).toBe(true)
    expect(withoutCronLine(twice, a.id)).toBe(other)
    expect(withoutCronLine(cronLine(a), a.id)).toBe('')
  })

  it("one workspace's marker is not a prefix match of another's", () => {
    const line = '0 0 * * * true # rigor-schedule:ws-10 /srv/x'
    expect(findCronLine(line, 'ws-1')).toBeUndefined()
    expect(findCronLine(line, 'ws-10')).toBe(line)
  })

  it('paths no quoting can carry are refused', () => {
    expect(schedulePathProblem('/a\nb', 'systemd')).toMatch(/line break/)
    expect(schedulePathProblem('/a\\b', 'cron')).toMatch(/backslash/)
    expect(schedulePathProblem('/a\\b', 'systemd')).toBeUndefined()
    expect(schedulePathProblem('/a ', 'cron')).toMatch(/blank/)
    // a unit's line that ends in a backslash goes on into the next one: WorkingDirectory= would take ExecStart= in
    expect(schedulePathProblem('/a\\', 'systemd')).toMatch(/backslash/)
    expect(() => scheduledJob('/srv/a\nb', {kind: 'systemd', at: {hour: 1, minute: 0}, cycleArgs: []})).toThrow(/workspace/)
    expect(shellWord('plain/path-1.js')).toBe('plain/path-1.js')
    expect(cronEscape('100%')).toBe('100\\%')
  })

  it('ids differ for two checkouts of the same name', () => {
    expect(scheduleId('/a/lab')).toMatch(/^lab-[0-9a-f]{8}$/)
    expect(scheduleId('/a/lab')).not.toBe(scheduleId('/b/lab'))
    expect(scheduleId('/srv/Ünïcode Lab!')).toMatch(/^n-code-lab-[0-9a-f]{8}$/)
  })
})

describe('fetch backoff with a remote', () => {
  it('doubles while idle up to the cap; jitter stays within 10%', () => {
    let interval = 30_000
    const seen = []
    for (let i = 0; i < 8; i++) seen.push((interval = nextFetchInterval(interval, 600_000)))
    expect(seen).toEqual([60_000, 120_000, 240_000, 480_000, 600_000, 600_000, 600_000, 600_000])
    expect(jittered(1000, () => 0)).toBe(900)
    expect(jittered(1000, () => 0.999999)).toBe(1100)
  })
})
