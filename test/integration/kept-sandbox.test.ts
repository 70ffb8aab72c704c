import {chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {pidsWithEnv, SLOW, waitFor} from '../helpers/processes.js'
import {workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

/**
 * A runner that reports what an earlier run of its slot could have left (files in /tmp and /dev/shm, processes,
 * System V segments, the launcher's open-files limit), then leaves all of that itself: files, a daemon in a session
 * of its own, and, as its params say, a segment or a lowered limit on pid 1 (the kept sandbox's launcher).
 */
const LEAVER = `const fs = require('fs')
const cp = require('child_process')
const params = JSON.parse(process.env.RIGOR_PARAMS)
const tag = process.env.RIGOR_NODE_ID.replace(/\\W/g, '_')
const left = (dir) => fs.readdirSync(dir).filter((name) => name.startsWith('left-'))
const r = {
  out: process.env.RIGOR_OUT,
  tmp: left('/tmp'),
  shm: left('/dev/shm'),
  pids: fs.readdirSync('/proc').filter((name) => /^\\d+$/.test(name)).map(Number).filter((pid) => pid !== 1 && pid !== process.pid),
  limit: fs.readFileSync('/proc/1/limits', 'utf8').split('\\n').find((line) => line.startsWith('Max open files')),
  segments: fs.readFileSync('/proc/sysvipc/shm', 'utf8').trim().split('\\n').length - 1,
  ignored: /SigIgn:\\s*(\\w+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1],
  env: {out: process.env.out, count: process.env.count, line: process.env.line, setsid: process.env.setsid},
}
fs.writeFileSync('/tmp/left-' + tag, 'x')
fs.writeFileSync('/dev/shm/left-' + tag, 'x')
cp.spawn('sleep', ['300'], {detached: true, stdio: 'ignore'}).unref()
if (params.segment) cp.execFileSync('ipcmk', ['-M', '4096'])
if (params.limit) cp.execFileSync('prlimit', ['--pid', '1', '--nofile=64:64'])
if (params.interrupt) process.kill(1, 'SIGINT')
console.log('reported by', tag)
fs.writeFileSync(process.env.RIGOR_OUT + '/verdict.json', JSON.stringify({status: 'proven_accepted', metrics: {}, notes: JSON.stringify(r)}))
`

/**
 * A directory for PATH holding a bwrap that does `kept` (shell) first when asked for a kept sandbox (its launcher as
 * pid 1), then is the real one.
 */
function bwrapWhenKept(kept: string): string {
  const bin = join(repo.dir, '.git', 'fake-bin')
  mkdirSync(bin, {recursive: true})
  const real = ['/usr/bin/bwrap', '/bin/bwrap'].find((path) => existsSync(path)) ?? 'bwrap'
  writeFileSync(join(bin, 'bwrap'), `#!/bin/sh\ncase " $* " in *" --as-pid-1 "*) ${kept} ;; esac\nexec ${real} "$@"\n`)
  chmodSync(join(bin, 'bwrap'), 0o755)
  return bin
}

describe('a sandbox kept per slot', {timeout: SLOW}, () => {
  it('runs one slot after another in one sandbox, and no run sees what an earlier one left', async () => {
    repo = workspace()
    writeFileSync(join(repo.dir, 'leaver.js'), LEAVER)
    const params = (i: number) => ({i, segment: i === 1, limit: i === 3, interrupt: i === 5})
    const nodes = Array.from({length: 8}, (_, i) => ({
      id: `k/n${i}`,
      team: 'default',
      priority: 10 - i,
      params: params(i),
      // the launcher's own shell variables, as a node may name its own
      run: {command: ['node', 'leaver.js'], env: {out: 'mine', count: '7', line: 'x y', setsid: 'no'}},
    }))
    writeSpec(repo.dir, {nodes})
    repo.git('add', '-A')
    repo.git('commit', '-qm', 'runner and spec')
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const work = rigor(repo.dir, ['work', '--parallel', '1', '--json'])
    expect(work.code, work.stderr).toBe(0)
    expect(json(work)).toMatchObject({finished: 8})

    const reports = nodes.map(({id}) => {
      const show = json(rigor(repo.dir, ['show', id, '--json']))
      expect(show.status, JSON.stringify(show.verdict)).toBe('proven_accepted')
      expect(show.verdict.sandbox).toBe('on')
      return JSON.parse(show.verdict.notes)
    })
    // the slot was kept: some runs shared a RIGOR_OUT (each run's outputs were still its own, below)
    const outs = reports.map((r) => r.out)
    expect(new Set(outs).size).toBeLessThan(outs.length)
    for (const r of reports) {
      expect(r.out).toContain('/.git/rigor/slots/')
      expect(r.tmp).toEqual([])
      expect(r.shm).toEqual([])
      expect(r.pids).toEqual([])
      expect(r.segments).toBe(0)
      // SIGINT and SIGQUIT at their default, as in a sandbox of the run's own (a shell's job ignores them; node itself
      // ignores SIGPIPE and SIGXFSZ)
      expect(BigInt(`0x${r.ignored}`) & 0b110n).toBe(0n)
      expect(r.limit).not.toMatch(/\b64\s+64\b/)
      expect(r.env).toEqual({out: 'mine', count: '7', line: 'x y', setsid: 'no'})
    }
    // each node's own outputs, in its own directory
    for (const {id} of nodes) {
      const log = readdirSync(join(repo.dir, 'experiments', id))
      expect(log).toContain('verdict.yaml')
    }
    // nothing of the runs nor of the slots outlives the command
    await waitFor('no daemon left', () => pidsWithEnv(`RIGOR_WORKSPACE=${repo.dir}`).length === 0)
    const slots = join(repo.dir, '.git/rigor/slots')
    expect(existsSync(slots) ? readdirSync(slots) : []).toEqual([])
  })

  it('a run that times out is stopped in its slot, and the next run of the slot starts clean', () => {
    repo = workspace()
    writeFileSync(join(repo.dir, 'leaver.js'), LEAVER)
    writeSpec(repo.dir, {
      nodes: [
        {id: 't/slow', team: 'default', priority: 9, run: {command: ['sh', '-c', 'touch /tmp/left-slow; exec sleep 120'], timeout: '2s'}},
        {id: 't/after1', team: 'default', priority: 8, params: {}, run: {command: ['node', 'leaver.js']}},
        {id: 't/after2', team: 'default', priority: 7, params: {}, run: {command: ['node', 'leaver.js']}},
        {id: 't/missing', team: 'default', priority: 6, run: {command: ['no-such-program-here']}},
      ],
    })
    repo.git('add', '-A')
    repo.git('commit', '-qm', 'runner and spec')
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const work = rigor(repo.dir, ['work', '--parallel', '1'])
    expect(work.code, work.stderr).toBe(0)
    const slow = json(rigor(repo.dir, ['show', 't/slow', '--json']))
    expect(slow.status).toBe('inconclusive')
    expect(slow.verdict.reason).toMatch(/timed out after 2s/)
    const missing = json(rigor(repo.dir, ['show', 't/missing', '--json']))
    expect(missing.verdict.reason).toMatch(/the runner could not start: execvp no-such-program-here: No such file or directory/)
    for (const id of ['t/after1', 't/after2']) {
      const show = json(rigor(repo.dir, ['show', id, '--json']))
      expect(show.status).toBe('proven_accepted')
      const r = JSON.parse(show.verdict.notes)
      expect(r.tmp.filter((name: string) => name === 'left-slow')).toEqual([])
      expect(r.pids).toEqual([])
    }
  })

  it('where a kept sandbox cannot start, every run gets a sandbox of its own, and says nothing of it', () => {
    repo = workspace()
    // a bwrap that refuses what only a kept sandbox asks for (its launcher as pid 1) and is the real one otherwise
    const bin = bwrapWhenKept('echo "bwrap: no kept sandbox here" >&2; exit 1')
    writeFileSync(join(repo.dir, 'leaver.js'), LEAVER)
    writeSpec(repo.dir, {
      nodes: Array.from({length: 3}, (_, i) => ({id: `f/n${i}`, team: 'default', params: {}, run: {command: ['node', 'leaver.js']}})),
    })
    repo.git('add', '-A')
    repo.git('commit', '-qm', 'runner and spec')
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const work = rigor(repo.dir, ['work', '--parallel', '1'], {PATH: `${bin}:${process.env.PATH}`})
    expect(work.code, work.stderr).toBe(0)
    expect(work.stderr).not.toMatch(/kept sandbox/)
    for (const i of [0, 1, 2]) {
      const show = json(rigor(repo.dir, ['show', `f/n${i}`, '--json']))
      expect(show.status).toBe('proven_accepted')
      expect(show.verdict.sandbox).toBe('on')
      expect(JSON.parse(show.verdict.notes).out).toContain('/.git/rigor/runs/')
    }
  })

  it('a kept sandbox that ends under its run: the run is inconclusive saying so, not "could not start", and the next one runs', () => {
    repo = workspace()
    // a bwrap whose kept sandboxes are killed 2 s after they start (as an OOM kill or an operator might)
    const bin = bwrapWhenKept('(sleep 2; kill -9 $$) </dev/null >/dev/null 2>&1 3>&- &')
    writeSpec(repo.dir, {
      nodes: [
        {id: 'e/long', team: 'default', priority: 9, run: {command: ['sleep', '30']}},
        {
          id: 'e/next',
          team: 'default',
          priority: 8,
          run: {command: ['sh', '-c', 'echo \'{"status": "proven_accepted", "metrics": {}}\' > "$RIGOR_OUT/verdict.json"']},
        },
      ],
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const work = rigor(repo.dir, ['work', '--parallel', '1'], {PATH: `${bin}:${process.env.PATH}`})
    expect(work.code, work.stderr).toBe(0)
    const long = json(rigor(repo.dir, ['show', 'e/long', '--json']))
    expect(long.status).toBe('inconclusive')
    expect(long.verdict.reason, JSON.stringify(long.verdict)).toMatch(/^the kept sandbox ended while its runner ran/)
    expect(json(rigor(repo.dir, ['show', 'e/next', '--json'])).status).toBe('proven_accepted')
  })
})
