import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, utimesSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import {GIT_ENV, type TempRepo} from '../helpers/git-repo.js'
import {workspace} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

// far above Linux's pid_max: no process has it
const DEAD_PID = 99_999_999

/** A temp file as a killed writer leaves it, `minutesAgo` old. */
function plant(dir: string, name: string, minutesAgo: number): string {
  const file = join(dir, name)
  writeFileSync(file, 'half an object')
  const at = new Date(Date.now() - minutesAgo * 60_000)
  utimesSync(file, at, at)
  return file
}

const fsck = (cwd: string) => spawnSync('git', ['fsck', '--strict'], {cwd, env: {...process.env, ...GIT_ENV}, encoding: 'utf8'})

describe('temporary object files left by a crash', () => {
  it("use git's prefix; verify and supervise remove stale ones of rigor and leave a live writer's alone", () => {
    repo = workspace()
    const fanOut = join(repo.dir, '.git', 'objects', 'ab')
    mkdirSync(fanOut, {recursive: true})
    const legacy = plant(fanOut, `tmp_rigor_${DEAD_PID}_1`, 60)
    const dead = plant(fanOut, `tmp_obj_rigor_${DEAD_PID}_2`, 60)
    const live = plant(fanOut, `tmp_obj_rigor_${process.pid}_3`, 60)
    const fresh = plant(fanOut, `tmp_obj_rigor_${DEAD_PID}_4`, 1)
    const gits = plant(fanOut, 'tmp_obj_Xy12ab', 60)
    // the old naming is what fsck complains about
    expect(fsck(repo.dir).stderr).toContain(`bad sha1 file: .git/objects/ab/tmp_rigor_${DEAD_PID}_1`)

    const verify = rigor(repo.dir, ['verify', '--json'])
    expect(verify.code).toBe(0)
    expect(json(verify).removed_temp_objects.sort()).toEqual([`ab/tmp_obj_rigor_${DEAD_PID}_2`, `ab/tmp_rigor_${DEAD_PID}_1`])
    expect([legacy, dead].map(existsSync)).toEqual([false, false])
    // a live writer's, a fresh one and git's own are not rigor's to remove
    expect([live, fresh, gits].map(existsSync)).toEqual([true, true, true])

    const again = plant(fanOut, `tmp_rigor_${DEAD_PID}_5`, 30)
    const supervise = rigor(repo.dir, ['supervise', '--once', '--json'])
    expect(supervise.code).toBe(0)
    expect(json(supervise).removed_temp_objects).toEqual([`ab/tmp_rigor_${DEAD_PID}_5`])
    expect(existsSync(again)).toBe(false)

    const checked = fsck(repo.dir)
    expect(checked.status).toBe(0)
    expect(checked.stderr).not.toMatch(/bad sha1 file|error/)
    // git's own prune removes what is left under its prefix (git gc does, after two weeks)
    spawnSync('git', ['prune'], {cwd: repo.dir, env: {...process.env, ...GIT_ENV}})
    expect([live, fresh, gits].map(existsSync)).toEqual([false, false, false])
  })

  it("verify and supervise remove the private directories of killed commands (.git/rigor/audit, paper, deploy), not a live one's", () => {
    repo = workspace()
    const rigorDir = join(repo.dir, '.git', 'rigor')
    const dir = (kind: string, name: string, minutesAgo: number) => {
      const path = join(rigorDir, kind, name)
      mkdirSync(join(path, 'data'), {recursive: true})
      writeFileSync(join(path, 'data', 'cut.csv'), 'date,close\n')
      const at = new Date(Date.now() - minutesAgo * 60_000)
      utimesSync(path, at, at)
      return path
    }
    const dead = dir('audit', `cross__peek.${DEAD_PID}.0a1b2c3d`, 60)
    const deadPaper = dir('paper', `x__y.${DEAD_PID}.00000000`, 60)
    const live = dir('audit', `cross__peek.${process.pid}.0a1b2c3d`, 60)
    const fresh = dir('deploy', `x__y.${DEAD_PID}.11111111`, 1)
    // before pids were in the names: only once a day old
    const oldStyle = dir('paper', 'x__y.22222222', 60)
    const oldStyleDay = dir('deploy', 'x__y.33333333', 25 * 60)
    const notOurs = dir('audit', 'notes', 60 * 48)

    const verify = rigor(repo.dir, ['verify', '--json'])
    expect(verify.code).toBe(0)
    expect(json(verify).removed_scratch.sort()).toEqual([
      `audit/cross__peek.${DEAD_PID}.0a1b2c3d`,
      'deploy/x__y.33333333',
      `paper/x__y.${DEAD_PID}.00000000`,
    ])
    expect([dead, deadPaper, oldStyleDay].map(existsSync)).toEqual([false, false, false])
    expect([live, fresh, oldStyle, notOurs].map(existsSync)).toEqual([true, true, true, true])

    const again = dir('audit', `a.${DEAD_PID}.44444444`, 30)
    const supervise = rigor(repo.dir, ['supervise', '--once', '--json'])
    expect(supervise.code).toBe(0)
    expect(json(supervise).removed_scratch).toEqual([`audit/a.${DEAD_PID}.44444444`])
    expect(existsSync(again)).toBe(false)
  })
})
