import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, rigorAsync} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {pidsWithEnv, runDirs, SLOW, waitFor} from '../helpers/processes.js'
import {workspace, writeSpec} from './helpers.js'

let repo: TempRepo | undefined
afterEach(() => repo?.cleanup())

// dies of the signal itself (sleep has no handler), as most programs do
const SLEEPER = ['sh', '-c', 'echo up > "$RIGOR_OUT/ready"; exec sleep 60']

describe('a stop signal sent to the whole job (Slurm scancel or time limit, systemd, kill of the group)', {timeout: SLOW}, () => {
  it('puts the claim back even when the runner dies of it before rigor hears its own', async () => {
    repo = workspace()
    const dir = repo.dir
    writeSpec(dir, {nodes: [{id: 'g/sleeper', team: 'default', run: {command: SLEEPER}}]})
    expect(rigor(dir, ['seed', 'spec.yaml']).code).toBe(0)
    const worker = rigorAsync(dir, ['work', '--json'])
    const ready = () => runDirs(dir).some((run) => existsSync(join(dir, '.git/rigor/runs', run, 'out/ready')))
    await waitFor('the runner to start', ready)
    // the runner's processes (the sandbox's too) first, as a job-wide signal may reach them first; rigor a moment later
    for (const pid of pidsWithEnv(`RIGOR_WORKSPACE=${dir}`)) {
      try {
        process.kill(pid, 'SIGTERM')
      } catch {}
    }
    await new Promise((r) => setTimeout(r, 300))
    worker.kill('SIGTERM')
    const done = await worker
    expect(done.code, done.stderr).toBe(143)
    expect(json(done)).toMatchObject({claimed: 1, released: 1, finished: 0})
    const show = json(rigor(dir, ['show', 'g/sleeper', '--json']))
    expect(show.status).toBe('pending')
    expect(repo.git('log', '--format=%B', 'main')).not.toContain('Rigor-Action: verdict')
  })
})
