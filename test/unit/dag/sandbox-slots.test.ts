import {existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import type {RunnerLaunch} from '../../../src/core/dag/launcher.js'
import {exitOfStatus, slotRefusal} from '../../../src/core/dag/sandbox-slots.js'
import {hostPidOf, processAttributes} from '../../../src/core/dag/sandbox-slot.js'
import {emptyExcept, linkOutputs, moveOutputs, mountPointsUnder, sweepDeadSlots} from '../../../src/core/dag/slot-dirs.js'

const made: string[] = []
const cleanup = (dir: string) => made.push(dir)
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, {recursive: true, force: true})
})

const launch = (over: Partial<RunnerLaunch> = {}, argv = ['node', 'run.js']): RunnerLaunch => ({
  program: 'bwrap',
  args: [],
  cwd: '/w',
  env: {unset: ['RIGOR_SIGNING_KEY'], set: {RIGOR_NODE_ID: 'a/b', RIGOR_PARAMS: '{"x":"a b"}'}},
  logFile: '/w/run.log',
  slot: {spec: {root: '/w', readable: [], writable: [], overlays: [], network: false}, slotsDir: '/w/.git/rigor/slots', outDir: '/o', argv},
  ...over,
})

describe('which runs a kept sandbox takes', () => {
  it('a work loop run with plain arguments and names; not one the line protocol cannot carry', () => {
    expect(slotRefusal(launch())).toBeUndefined()
    expect(slotRefusal(launch({slot: undefined}))).toBe('not a work loop run')
    expect(slotRefusal(launch({}, ['node', '-e', 'a\nb']))).toMatch(/newline/)
    expect(slotRefusal(launch({env: {unset: [], set: {NOTE: 'two\nlines'}}}))).toMatch(/newline/)
    expect(slotRefusal(launch({env: {unset: [], set: {'MY-VAR': 'x'}}}))).toMatch(/cannot export/)
    expect(slotRefusal(launch({env: {unset: ['1X'], set: {}}}))).toMatch(/cannot export/)
    expect(slotRefusal(launch({}, ['']))).toBe('no program')
    // an empty argument is fine: the argv is last and counted
    expect(slotRefusal(launch({}, ['prog', '']))).toBeUndefined()
    // rigor installed under /tmp is shown again in the slot's /tmp, as in a sandbox of the run's own
    const shown = launch()
    shown.slot!.spec.shownDirs = ['/tmp/rigor']
    expect(slotRefusal(shown)).toBeUndefined()
  })

  it("a shell's wait status: above 128 the signal that ended the process, otherwise the exit code", () => {
    expect(exitOfStatus(0)).toEqual({code: 0, signal: null})
    expect(exitOfStatus(3)).toEqual({code: 3, signal: null})
    expect(exitOfStatus(143)).toEqual({code: null, signal: 'SIGTERM'})
    expect(exitOfStatus(137)).toEqual({code: null, signal: 'SIGKILL'})
    expect(exitOfStatus(255)).toEqual({code: 255, signal: null})
  })
})

describe("a kept sandbox's directories", () => {
  it('the mount points bwrap made for paths below /tmp: each target and the directories leading to it', () => {
    const kept = mountPointsUnder('/tmp', ['/tmp/ws', '/tmp/ws/.git', '/tmp/data/prices.csv', '/home/x', '/tmpfoo', '/tmp'])
    expect([...kept].sort()).toEqual(['data', 'data/prices.csv', 'ws', 'ws/.git'])
  })

  it('emptied but for the mount points, whose sides are emptied too; a target is left as it is', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slot-'))
    cleanup(dir)
    mkdirSync(join(dir, 'ws/.git'), {recursive: true})
    mkdirSync(join(dir, 'data'), {recursive: true})
    writeFileSync(join(dir, 'data/prices.csv'), '')
    writeFileSync(join(dir, 'data/left.txt'), 'x')
    writeFileSync(join(dir, 'left'), 'x')
    mkdirSync(join(dir, 'deep/er'), {recursive: true})
    symlinkSync('/etc', join(dir, 'link'))
    writeFileSync(join(dir, 'ws/inside-target'), 'the bound workspace shows here inside; outside nothing is written')
    const targets = ['/tmp/ws', '/tmp/data/prices.csv']
    emptyExcept(dir, mountPointsUnder('/tmp', targets), new Set(['ws', 'data/prices.csv']))
    expect(readdirSync(dir).sort()).toEqual(['data', 'ws'])
    expect(readdirSync(join(dir, 'data'))).toEqual(['prices.csv'])
    expect(readdirSync(join(dir, 'ws')).sort()).toEqual(['.git', 'inside-target'])
    // the link was removed, not followed
    expect(existsSync('/etc/passwd')).toBe(true)
  })

  it("the run's RIGOR_OUT is a link to the slot's while it runs, then a directory holding what the runner wrote", () => {
    const dir = mkdtempSync(join(tmpdir(), 'slot-'))
    cleanup(dir)
    const slotOut = join(dir, 'slot/out')
    const runOut = join(dir, 'run/out')
    mkdirSync(slotOut, {recursive: true})
    mkdirSync(runOut, {recursive: true})
    linkOutputs(slotOut, runOut)
    expect(lstatSync(runOut).isSymbolicLink()).toBe(true)
    writeFileSync(join(slotOut, 'run.log'), 'hello\n')
    mkdirSync(join(slotOut, 'charts'))
    expect(readFileSync(join(runOut, 'run.log'), 'utf8')).toBe('hello\n')
    moveOutputs(slotOut, runOut)
    expect(lstatSync(runOut).isDirectory()).toBe(true)
    expect(readdirSync(runOut).sort()).toEqual(['charts', 'run.log'])
    expect(readdirSync(slotOut)).toEqual([])
  })

  it("a dead process's slots are swept, a live one's kept", () => {
    const dir = mkdtempSync(join(tmpdir(), 'slots-'))
    cleanup(dir)
    mkdirSync(join(dir, `${process.pid}.0.abc`))
    writeFileSync(join(dir, `${process.pid}.launcher`), '')
    mkdirSync(join(dir, '999999999.0.abc'))
    writeFileSync(join(dir, '999999999.launcher'), '')
    mkdirSync(join(dir, 'stray'))
    sweepDeadSlots(dir)
    expect(readdirSync(dir).sort()).toEqual([`${process.pid}.0.abc`, `${process.pid}.launcher`].sort())
  })
})

describe("what a kept sandbox's launcher is checked for", () => {
  it("attributes: a process's limits among them, the same read twice, none for a process that is gone", () => {
    const before = processAttributes(process.pid)
    expect(before).toBeDefined()
    expect(processAttributes(process.pid)).toBe(before)
    expect(before).toMatch(/Max open files/)
    expect(processAttributes(999_999_999)).toBeUndefined()
  })

  it("a child's pid in this namespace found from its pid in its own", () => {
    // without a namespace of its own a child's NSpid has one field, the same pid
    const parent = process.ppid
    expect(hostPidOf(parent, process.pid)).toBe(process.pid)
    expect(hostPidOf(parent, 999_999_999)).toBeUndefined()
  })
})
