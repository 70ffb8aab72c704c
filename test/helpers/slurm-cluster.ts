import {type ChildProcess, execFileSync, spawn, spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {hostname, tmpdir} from 'node:os'
import {join} from 'node:path'
import {alive, pidsWithEnv, sleep} from './processes.js'

/**
 * A one-node Slurm cluster on this machine, for tests: Debian's slurm-wlm and
 * munge, a private munged (own key and socket), slurmctld and slurmd in the
 * foreground, all under one temp dir and started and stopped by PID. Clients
 * find it through SLURM_CONF (in `env`), so a site's own Slurm is never touched.
 * The node has 2 CPUs, each shareable by 4 jobs (OverSubscribe=FORCE:4), so 4
 * array tasks of 2 CPUs run at once on a 2-core machine.
 */
export interface SlurmCluster {
  dir: string
  conf: string
  /** SLURM_CONF for every client (sbatch, squeue, ... and rigor slurm) */
  env: Record<string, string>
  /** runs a Slurm client command; its stdout */
  run(program: string, args: string[]): string
  /** waits until Slurm lists no pending or running task of the job */
  waitForJob(jobId: string, timeoutMs?: number): Promise<void>
  /** the daemons' logs, for a failure message */
  logs(): string
  /** cancels every job, kills every process of the cluster and the daemons, removes the temp dir */
  stop(): Promise<void>
}

const TOOLS = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scontrol', 'scancel', 'sinfo']

/** Why Slurm cannot run here (the reason to skip), or undefined. */
export function slurmUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'Slurm tests run on Linux only'
  if (process.getuid?.() !== 0) return 'Slurm tests need root (they start munged, slurmctld and slurmd); run them as root or in CI'
  const missing = TOOLS.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
  if (missing.length) return `Slurm is not installed (${missing.join(', ')} missing): apt-get install slurm-wlm munge, as .ci/run does`
  if (spawnSync('id', ['-u', 'munge']).status !== 0) return 'no munge user: apt-get install munge'
  return undefined
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as {port: number}).port
      server.close(() => resolve(port))
    })
  })
}

function idOf(flag: '-u' | '-g', name: string): number {
  return Number(execFileSync('id', [flag, name], {encoding: 'utf8'}).trim())
}

export async function startSlurmCluster(): Promise<SlurmCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'rigor-slurm-'))
  // munged runs as the munge user and must reach its directory through this one
  chmodSync(dir, 0o755)
  const [mungeDir, state, spool, logs] = ['munge', 'state', 'spool', 'log'].map((d) => join(dir, d)) as [string, string, string, string]
  for (const d of [mungeDir, state, spool, logs]) mkdirSync(d)
  const uid = idOf('-u', 'munge')
  const gid = idOf('-g', 'munge')
  chownSync(mungeDir, uid, gid)
  const key = join(mungeDir, 'munge.key')
  writeFileSync(key, randomBytes(1024), {mode: 0o400})
  chownSync(key, uid, gid)
  const socket = join(mungeDir, 'munge.socket')
  const conf = join(dir, 'slurm.conf')
  const env = {SLURM_CONF: conf}
  const daemons: ChildProcess[] = []
  const start = (name: string, program: string, args: string[], opts: {uid?: number; gid?: number} = {}) => {
    const out = openSync(join(logs, `${name}.out`), 'a')
    const child = spawn(program, args, {env: {...process.env, ...env}, stdio: ['ignore', out, out], ...opts})
    daemons.push(child)
    return child
  }
  // if the test process ends without stop() (a crash, a timeout), the daemons go with it
  const killDaemons = () => {
    for (const d of daemons) if (d.pid && alive(d.pid)) d.kill('SIGKILL')
  }
  process.once('exit', killDaemons)

  const cluster: SlurmCluster = {
    dir,
    conf,
    env,
    run: (program, args) => execFileSync(program, args, {env: {...process.env, ...env}, encoding: 'utf8'}),
    async waitForJob(jobId, timeoutMs = 240_000) {
      const deadline = Date.now() + timeoutMs
      while (cluster.run('squeue', ['--noheader', '--array', `--jobs=${jobId}`, '--format=%i']).trim() !== '') {
        if (Date.now() > deadline)
          throw new Error(`job ${jobId} still queued after ${timeoutMs} ms:\n${cluster.run('squeue', ['--array'])}`)
        await sleep(250)
      }
    },
    logs: () =>
      ['munged.out', 'slurmctld.out', 'slurmd.out', 'slurmctld.log', 'slurmd.log']
        .map((f) => `--- ${f}\n${existsSync(join(logs, f)) ? readFileSync(join(logs, f), 'utf8').slice(-4000) : '(none)'}`)
        .join('\n'),
    async stop() {
      const client = {env: {...process.env, ...env}, encoding: 'utf8' as const}
      spawnSync('scancel', ['--user=root'], client)
      const deadline = Date.now() + 20_000
      while (Date.now() < deadline && spawnSync('squeue', ['--noheader'], client).stdout?.trim()) await sleep(200)
      // every process of the cluster carries SLURM_CONF=<conf>: the daemons, job steps and their runners
      for (const pid of pidsWithEnv(`SLURM_CONF=${conf}`)) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {}
      }
      for (const d of daemons) if (d.pid && alive(d.pid)) d.kill('SIGTERM')
      for (let i = 0; i < 50 && daemons.some((d) => d.pid && alive(d.pid)); i++) await sleep(100)
      killDaemons()
      process.off('exit', killDaemons)
      rmSync(dir, {recursive: true, force: true})
    },
  }

  try {
    start(
      'munged',
      'munged',
      [
        '--foreground',
        `--socket=${socket}`,
        `--key-file=${key}`,
        `--log-file=${join(mungeDir, 'munged.log')}`,
        `--pid-file=${join(mungeDir, 'munged.pid')}`,
        `--seed-file=${join(mungeDir, 'munged.seed')}`,
      ],
      {uid, gid},
    )
    for (let i = 0; i < 100 && !existsSync(socket); i++) await sleep(100)
    if (!existsSync(socket)) throw new Error('munged did not create its socket')
    const host = hostname().split('.')[0]!
    const [ctldPort, slurmdPort] = [await freePort(), await freePort()]
    writeFileSync(
      conf,
      `ClusterName=rigortest
SlurmctldHost=${host}(127.0.0.1)
SlurmctldPort=${ctldPort}
SlurmdPort=${slurmdPort}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=${socket}
CredType=cred/munge
StateSaveLocation=${state}
SlurmdSpoolDir=${spool}
SlurmctldPidFile=${join(dir, 'slurmctld.pid')}
SlurmdPidFile=${join(dir, 'slurmd.pid')}
SlurmctldLogFile=${join(logs, 'slurmctld.log')}
SlurmdLogFile=${join(logs, 'slurmd.log')}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
SchedulerType=sched/backfill
InactiveLimit=0
MinJobAge=600
KillWait=30
Waittime=0
NodeName=${host} NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE OverSubscribe=FORCE:4 State=UP
`,
    )
    start('slurmctld', 'slurmctld', ['-D', '-i', '-f', conf])
    start('slurmd', 'slurmd', ['-D', '-f', conf])
    const deadline = Date.now() + 60_000
    for (;;) {
      const sinfo = spawnSync('sinfo', ['--noheader', '--format=%t'], {env: {...process.env, ...env}, encoding: 'utf8'})
      if (sinfo.status === 0 && sinfo.stdout.trim() === 'idle') break
      if (Date.now() > deadline) throw new Error(`the node is not idle after 60 s (sinfo: ${sinfo.stdout.trim()} ${sinfo.stderr.trim()})`)
      await sleep(200)
    }
    return cluster
  } catch (err) {
    const logText = cluster.logs()
    await cluster.stop()
    throw new Error(`the Slurm test cluster did not start: ${(err as Error).message}\n${logText}`)
  }
}
