import {chmod, copyFile, mkdir, readFile, readdir, rm} from 'node:fs/promises'
import {hostTempDir} from '../temp-dir.js'
import {basename, dirname, join, resolve} from 'node:path'
import {execa} from 'execa'
import {InputError} from '../errors.js'
import {initWorkspace, isEmptyDir, nearestDirectory} from './init.js'
import {nowIso} from '../state/node-files.js'
import {nodesOfSpec, readSeedSpec, seedNodes} from '../dag/seed.js'
import {auditTopCandidates} from '../auditor/top.js'
import {deployNode} from '../deploy/index.js'
import {rankNodes} from '../views/rank.js'
import {writeDailyReport} from '../views/report.js'
import {buildSite} from '../views/site/build.js'
import {summariseStatus, type StatusSummary} from '../views/status.js'
import type {RunGroups} from '../proc.js'
import type {FileChange} from '../git/tree-edit.js'
import type {RunnerLauncher} from '../dag/launcher.js'
import {runWorkLoop, type WorkEvent, type WorkSummary} from './worker.js'
import {Workspace} from '../state/workspace.js'
import {policies} from './policies.js'
import {packageRoot} from '../package-root.js'
import {makeOutputDir} from '../output-dir.js'

const PACKAGE_ROOT = packageRoot(import.meta.url)
export const DEMO_CONFIG = join(PACKAGE_ROOT, 'templates', 'rigor.yaml')
export const DEMO_SEED = join(PACKAGE_ROOT, 'templates', 'demo-seed.yaml')
export const DEMO_DATA = join(PACKAGE_ROOT, 'data')

export interface DemoStep {
  step: string
  detail: string
}

export interface DemoResult {
  dir: string
  seeded: number
  work: WorkSummary
  status: StatusSummary
  best: Array<{id: string; team: string; sharpe: number; max_drawdown: number; total_return: number}>
  audits: Array<{id: string; verdict: 'PASS' | 'FAIL'; file: string}>
  deployed: string | null
  /** null when a stop (Ctrl-C) ended the demo before its rank step */
  ranking: string | null
  report: string[]
  /** the dashboard's overview page (rigor site), null when a stop ended the demo early */
  site: string | null
  seconds: number
}

export interface DemoOptions {
  parallel: number
  /** told of each step as it ends; the demo waits for it (a live display ends before the work step's line) */
  onStep?: (step: DemoStep) => void | Promise<void>
  onWork?: (event: WorkEvent) => void
  signal?: AbortSignal
  /** the command's live runner groups, killed if it has to leave at once */
  groups?: RunGroups
  /** which process starts runners (the command's RunnerHelper; default: this one) */
  launcher?: RunnerLauncher
  /** what the user should know (e.g. runners without a sandbox), once */
  warn?: (message: string) => void
}

/**
 * The whole research cycle on bundled data in a fresh workspace: init, seed
 * the example program, work it in parallel (gates judge, rules spawn
 * refinements), audit the best, deploy a winner that passes to paper, rank,
 * write the daily report and the dashboard (site/). Offline, no API key.
 */
export async function runDemo(dir: string, opts: DemoOptions): Promise<DemoResult> {
  const started = Date.now()
  const target = resolve(dir)
  await nearestDirectory(target)
  if (!(await isEmptyDir(target))) {
    throw new InputError(`${target} is not empty; the demo makes a fresh workspace`, {fix: 'pass a new directory: rigor demo <dir>'})
  }
  const step = async (s: string, detail: string) => await opts.onStep?.({step: s, detail})
  // a throwaway auditor key: the demo's audits are signed, and its deploy gate checks the signature. Made before the
  // demo's folder, so that a temporary folder it cannot be made in leaves no empty folder behind
  const auditorKey = await demoAuditorKey(target)
  // a private key left in the temporary folder would outlive the demo that never used it
  const dropKey = async (err: unknown): Promise<never> => {
    if (auditorKey) await rm(dirname(auditorKey.privatePath), {recursive: true, force: true})
    throw err
  }
  await makeOutputDir(target, {field: 'DIR', fix: 'pass a new directory you can write to: rigor demo <dir>'}).catch(dropKey)
  const configText = await readFile(DEMO_CONFIG, 'utf8')
  const init = await initWorkspace(target, {
    configText: auditorKey ? `${configText.trimEnd()}\n\n${auditorsYaml(auditorKey)}` : configText,
    ownRepository: true,
  }).catch(dropKey)
  if (auditorKey) auditorKey.privatePath = await keepKey(auditorKey.privatePath, join(target, '.git', 'rigor'))
  await step(
    'init',
    `workspace and git repository in ${init.root}${auditorKey ? `; a throwaway SSH key for demo-auditor (${auditorKey.privatePath}), listed in auditors:` : ''}`,
  )

  const ws = await Workspace.open(target)
  if (opts.warn) ws.onWarning = opts.warn
  try {
    await addDemoFiles(ws)
    await step('data', 'bundled synthetic prices SYNTH-A (trending), SYNTH-B (reverting), SYNTH-C (no edge) in data/')
    const spec = await readSeedSpec(join(target, 'templates', 'demo-seed.yaml'))
    const drafts = nodesOfSpec(spec, {seededBy: 'demo', createdAt: nowIso(), file: 'templates/demo-seed.yaml'})
    const seeded = await seedNodes(ws, drafts, {file: 'templates/demo-seed.yaml'})
    await step('seed', `${seeded.added.length} variants in ${seeded.sweeps.length} sweeps over 4 teams`)
    const work = await runWorkLoop(ws, {
      admission: policies.admission,
      worker: 'demo-worker',
      parallel: opts.parallel,
      onEvent: opts.onWork,
      signal: opts.signal,
      groups: opts.groups,
      launcher: opts.launcher,
    })
    await step(
      'work',
      `${work.finished} runs: ${Object.entries(work.by_status)
        .map(([s, n]) => `${n} ${s}`)
        .join(', ')}`,
    )
    const summary = async () => ({dir: target, seeded: seeded.added.length, work, status: summariseStatus(await ws.currentSnapshot())})
    // stopped (Ctrl-C): the work step put its claims back; the steps after the one it stopped are not started
    const stopped = async (when: string, done: Pick<DemoResult, 'audits' | 'deployed'> = {audits: [], deployed: null}) => {
      await step('stopped', `interrupted ${when}`)
      return {
        ...(await summary()),
        best: [],
        ...done,
        ranking: null,
        report: [],
        site: null,
        seconds: (Date.now() - started) / 1000,
      }
    }
    if (opts.signal?.aborted) return await stopped('after the work step')
    const snap = await ws.currentSnapshot()
    const best: DemoResult['best'] = []
    for (const record of snap.nodes.values()) {
      if (record.node?.status !== 'proven_accepted') continue
      const verdict = await ws.store.verdict(record)
      if (!verdict) continue
      const m = verdict.metrics
      best.push({
        id: record.id,
        team: record.node.team,
        sharpe: m.sharpe ?? 0,
        max_drawdown: m.max_drawdown ?? 0,
        total_return: m.total_return ?? 0,
      })
    }
    best.sort((a, b) => b.sharpe - a.sharpe)
    // the best candidates in turn until one passes: most of the best-looking ones do not survive the auditor
    const audits = await auditTopCandidates(ws, {
      count: 12,
      untilPass: true,
      auditor: 'demo-auditor',
      signer: auditorKey ? {keyPath: auditorKey.privatePath} : undefined,
      signal: opts.signal,
      groups: opts.groups,
    }).catch((err: unknown) => {
      // the audit under way wrote nothing (the ones before it are committed): rigor show names them
      if (opts.signal?.aborted) return undefined
      throw err
    })
    if (!audits) return await stopped('during the audit step')
    await step(
      'audit',
      audits.map((a) => `${a.id} ${a.verdict}${auditorKey ? ' (signed by demo-auditor)' : ''}`).join(', ') || 'nothing to audit',
    )
    for (const a of audits) if (a.holdout) await step('holdout', `${a.id}: ${a.holdout}`)
    if (opts.signal?.aborted) return await stopped('after the audit step', {audits, deployed: null})
    const winner = audits.find((a) => a.verdict === 'PASS')
    let deployed: string | undefined
    if (winner) {
      const deployment = await deployNode(ws, winner.id, {stage: 'paper', by: 'demo', signal: opts.signal})
      deployed = deployment.file
      await step(
        'deploy',
        `${winner.id} to paper (${deployed}), on ${winner.file}${deployment.audit_signer ? ` signed by ${deployment.audit_signer}` : ''}${winner.holdout ? `; sealed holdout ${winner.holdout}` : ''}`,
      )
    } else {
      await step('deploy', 'nothing deployed: no candidate passed its audit (the auditor doing its job: see the FAIL reports)')
    }
    if (opts.signal?.aborted) return await stopped('after the deploy step', {audits, deployed: deployed ?? null})
    const ranked = await rankNodes(ws, {objective: 'sharpe', keep: 5, by: 'demo'})
    await step('rank', `kept the 5 best by Sharpe, archived ${ranked.ranking.archived.length} (${ranked.file})`)
    const report = await writeDailyReport(ws, {auditStats: policies.auditStats, by: 'demo'})
    await step('report', `${report.files.join(' and ')}, health ${report.report.health_score}/100`)
    const site = await buildSite(ws, {out: join(target, 'site'), auditStats: policies.auditStats})
    await step('site', `the dashboard: ${site.index} (${site.pages} pages; open it in a browser)`)
    return {
      ...(await summary()),
      best: best.slice(0, 5),
      audits,
      deployed: deployed ?? null,
      ranking: ranked.file,
      report: report.files,
      site: site.index,
      seconds: (Date.now() - started) / 1000,
    }
  } finally {
    await ws.close()
  }
}

/**
 * The example program's data and seed spec, committed into the demo workspace, in place of init's
 * seed.example.yaml: its node's team (default) is not one of the demo's, so it could not be seeded there.
 */
async function addDemoFiles(ws: Workspace): Promise<void> {
  const files = new Map<string, FileChange>([['templates/seed.example.yaml', null]])
  for (const name of (await readdir(DEMO_DATA)).filter((f) => f.endsWith('.csv') || f === 'README.md')) {
    files.set(`data/${name}`, await readFile(join(DEMO_DATA, name)))
  }
  files.set('templates/demo-seed.yaml', await readFile(DEMO_SEED))
  // the dashboard the demo builds is an output, not state (docs/site.md): git status stays clean after the demo
  files.set('.gitignore', 'site/\n')
  await ws.commit(async () => ({files, message: {action: 'init', subject: 'add the demo data and seed spec'}, result: undefined}))
  await ws.flushSync()
}

/**
 * An SSH key made for this demo only, kept under the demo's .git/rigor/ (never
 * committed): the demo lists its public half in auditors: and signs its audits
 * with it. Without ssh-keygen the demo runs unsigned.
 */
async function demoAuditorKey(target: string): Promise<{privatePath: string; publicKey: string} | undefined> {
  const dir = await hostTempDir('rigor-demo-key-')
  const privatePath = join(dir, 'demo-auditor')
  const made = await execa(
    'ssh-keygen',
    // the comment names the demo's folder in plain characters: it is written into rigor.yaml, where a quote would end the string
    [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      `demo-auditor@${basename(target).replace(/[^A-Za-z0-9._-]/g, '_') || 'demo'}`,
      '-f',
      privatePath,
    ],
    {reject: false},
  )
  if (made.exitCode !== 0) return undefined
  return {privatePath, publicKey: (await readFile(`${privatePath}.pub`, 'utf8')).trim()}
}

const auditorsYaml = (key: {publicKey: string}): string =>
  `# the demo's throwaway auditor key (its private half is outside the repository)\nauditors:\n  - name: demo-auditor\n    key: ${JSON.stringify(key.publicKey)}\n`

/** Moves the key pair into the demo's .git/rigor/, where a user can sign more audits with it. */
async function keepKey(privatePath: string, dir: string): Promise<string> {
  await mkdir(dir, {recursive: true})
  const kept = join(dir, 'demo-auditor')
  for (const suffix of ['', '.pub']) await copyFile(`${privatePath}${suffix}`, `${kept}${suffix}`)
  await chmod(kept, 0o600)
  await rm(dirname(privatePath), {recursive: true, force: true})
  return kept
}
