import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {stringify} from 'yaml'
import {json, rigor, rigorAsync} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {alive, readPids, SLOW, waitFor, waitForPids} from '../helpers/processes.js'
import {hasTmux, rigorInTmux, type TmuxRigor} from '../helpers/tmux.js'
import {commitAuditReport} from './audit-commit.js'
import {workspace, writeSpec} from './helpers.js'

let repo: TempRepo
let inTmux: TmuxRigor | undefined
/** every pid a stage command wrote, killed after the test whatever it found */
let pidFiles: string[] = []
afterEach(() => {
  inTmux?.kill()
  inTmux = undefined
  for (const pid of pidFiles.flatMap(readPids)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // gone, as it should be
    }
  }
  pidFiles = []
  repo?.cleanup()
})

const ID = 'ship/it'

/** A stage command (sh, argv) whose pids go to `file` under .git, one a line. */
const stageCommand = (script: string, file: string) => {
  pidFiles.push(file)
  return ['sh', '-c', script, 'stage', file]
}

function commitDeployConfig(deploy: unknown, more: Record<string, unknown> = {}): void {
  const config = {version: 1, teams: [{name: 'default'}], gates: [{name: 'always', accept_when: 'true'}], deploy, ...more}
  writeFileSync(join(repo.dir, 'rigor.yaml'), stringify(config))
  repo.git('add', 'rigor.yaml')
  repo.git('commit', '-qm', 'deploy commands')
}

/** A node that ran (a runner writing returns), was accepted and has a PASS audit: the gate lets it through. */
async function deployableNode(): Promise<void> {
  repo = workspace()
  commitDeployConfig({})
  mkdirSync(join(repo.dir, 'bin'))
  writeFileSync(
    join(repo.dir, 'bin/returns.sh'),
    'printf "date,return\\n2024-01-02,0.01\\n2024-01-03,-0.005\\n" > "$RIGOR_OUT/returns.csv"\nprintf \'{"metrics":{"sharpe":1.0}}\' > "$RIGOR_OUT/verdict.json"\n',
  )
  repo.git('add', 'bin')
  repo.git('commit', '-qm', 'runner')
  writeSpec(repo.dir, {nodes: [{id: ID, team: 'default', run: {command: ['sh', 'bin/returns.sh']}}]})
  expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
  expect(rigor(repo.dir, ['work']).code).toBe(0)
  expect(json(rigor(repo.dir, ['show', ID, '--json'])).status).toBe('proven_accepted')
  await commitAuditReport(repo.dir, {id: ID, verdict: 'PASS', auditor: 'dave'})
}

const tip = () => repo.git('rev-parse', 'HEAD').trim()
const deployed = (stage: string) => repo.git('ls-tree', '-r', '--name-only', 'HEAD', '--', `deployments/${stage}`).trim()

describe('processes a configured command starts', {timeout: SLOW}, () => {
  it('a daemon forked with & does not keep the deploy (or its notification) waiting: it is stopped, said, and the deployment recorded', async () => {
    await deployableNode()
    const pids = join(repo.dir, '.git', 'stage-pids')
    const notifierPids = join(repo.dir, '.git', 'notifier-pids')
    // the forked sleeps hold the commands' output open for 300 s: the deploy used to wait that long, then refuse
    commitDeployConfig(
      {paper: {command: stageCommand('sleep 300 & echo $! >> "$1"; echo shipped', pids)}},
      {notify: {command: stageCommand('sleep 300 & echo $! >> "$1"; cat > /dev/null', notifierPids), events: ['deploy']}},
    )
    const result = rigor(repo.dir, ['deploy', ID, '--stage', 'paper', '--by', 'ops', '--json'])
    expect(result.code, result.stderr).toBe(0)
    const out = json(result)
    expect(out.command).toMatchObject({exit_code: 0, left_behind: 1})
    expect(out.command.output).toContain('shipped')
    expect(out.warnings.join('\n')).toContain('deploy.paper.command left 1 process(es) running when it exited; rigor stopped them')
    expect(deployed('paper')).toBe(`deployments/paper/${ID}.yaml`)
    const daemons = [...readPids(pids), ...readPids(notifierPids)]
    expect(daemons).toHaveLength(2)
    for (const pid of daemons) await waitFor(`pid ${pid} gone`, () => !alive(pid))
    expect(result.stderr).not.toContain('notify.command')
  })

  it('SIGTERM while the rollback command runs: exit 143, its children stopped, nothing recorded', async () => {
    await deployableNode()
    expect(rigor(repo.dir, ['deploy', ID, '--stage', 'paper', '--by', 'ops']).code).toBe(0)
    const pids = join(repo.dir, '.git', 'rollback-pids')
    commitDeployConfig({paper: {rollback_command: stageCommand('sleep 300 & echo $! >> "$1"; echo $$ >> "$1"; wait', pids)}})
    const head = tip()
    const rollback = rigorAsync(repo.dir, ['deploy', ID, '--rollback', '--stage', 'paper', '--json'])
    const started = await waitForPids(pids, 2)
    rollback.kill('SIGTERM')
    const done = await rollback
    expect(done.code, done.stderr).toBe(143)
    expect(JSON.parse(done.stdout).error.message).toContain(
      `the rollback command of ${ID} (deploy.paper.rollback_command) was stopped by SIGTERM: nothing was written`,
    )
    for (const pid of started) await waitFor(`pid ${pid} gone`, () => !alive(pid))
    expect(tip()).toBe(head)
    expect(readFileSync(join(repo.dir, `deployments/paper/${ID}.yaml`), 'utf8')).toContain('status: active')
  })

  it.skipIf(!hasTmux)('Ctrl-C under a terminal while the deploy command runs: exit 130, nothing recorded, nothing left', async () => {
    await deployableNode()
    const pids = join(repo.dir, '.git', 'stage-pids')
    // the child leaves the terminal's process group, which a Ctrl-C reaches: rigor must stop it itself
    commitDeployConfig({paper: {command: stageCommand('setsid sleep 300 & echo $! >> "$1"; echo $$ >> "$1"; wait', pids)}})
    const head = tip()
    inTmux = rigorInTmux(repo.dir, ['deploy', ID, '--stage', 'paper', '--by', 'ops'])
    const started = await waitForPids(pids, 2)
    inTmux.keys('C-c')
    await waitFor('rigor deploy to exit', () => existsSync(inTmux!.rcFile))
    expect(readFileSync(inTmux.rcFile, 'utf8').trim()).toBe('130')
    expect(inTmux.pane()).toContain(`the deploy command of ${ID} (deploy.paper.command) was stopped by SIGINT: nothing was written`)
    for (const pid of started) await waitFor(`pid ${pid} gone`, () => !alive(pid))
    expect(tip()).toBe(head)
    expect(deployed('paper')).toBe('')
  })

  it('SIGTERM while the agent designs: exit 143, the agent and its children stopped, nothing seeded', async () => {
    repo = workspace()
    const pids = join(repo.dir, '.git', 'agent-pids')
    commitDeployConfig({}, {agent: {command: stageCommand('sleep 300 & echo $! >> "$1"; echo $$ >> "$1"; wait', pids)}})
    const head = tip()
    const design = rigorAsync(repo.dir, ['design', '--json'])
    const started = await waitForPids(pids, 2)
    design.kill('SIGTERM')
    const done = await design
    expect(done.code, done.stderr).toBe(143)
    expect(JSON.parse(done.stdout).error.message).toContain(
      'the design call was stopped by SIGTERM: the agent and what it started were stopped',
    )
    for (const pid of started) await waitFor(`pid ${pid} gone`, () => !alive(pid))
    // the call's cost is recorded; no node is seeded
    expect(repo.git('ls-tree', '-r', '--name-only', 'HEAD', '--', 'experiments').trim()).not.toContain('node.yaml')
    expect(repo.git('rev-list', `${head}..HEAD`).trim().split('\n').filter(Boolean).length).toBeLessThanOrEqual(1)
  })

  // a SIGKILLed rigor runs no handler: before, the agent and what it started ran on, with no timeout left to stop them
  it('SIGKILL of rigor while the agent designs: the agent and its children are stopped, one that left the group too', async () => {
    repo = workspace()
    const pids = join(repo.dir, '.git', 'agent-pids')
    commitDeployConfig(
      {},
      {agent: {command: stageCommand('sleep 300 & echo $! >> "$1"; setsid sleep 300 & echo $! >> "$1"; echo $$ >> "$1"; wait', pids)}},
    )
    const design = rigorAsync(repo.dir, ['design', '--json'])
    const started = await waitForPids(pids, 3)
    design.kill('SIGKILL')
    await design
    for (const pid of started) await waitFor(`pid ${pid} gone`, () => !alive(pid))
  })

  it('SIGKILL of rigor while the deploy command runs: the command and its children are stopped', async () => {
    await deployableNode()
    const pids = join(repo.dir, '.git', 'stage-pids')
    commitDeployConfig({paper: {command: stageCommand('sleep 300 & echo $! >> "$1"; echo $$ >> "$1"; wait', pids)}})
    const deploy = rigorAsync(repo.dir, ['deploy', ID, '--stage', 'paper', '--by', 'ops'])
    const started = await waitForPids(pids, 2)
    deploy.kill('SIGKILL')
    await deploy
    for (const pid of started) await waitFor(`pid ${pid} gone`, () => !alive(pid))
    expect(deployed('paper')).toBe('')
  })
})
