import {mkdir, readdir, readFile, stat} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseConfig} from './config.js'
import {InputError} from './errors.js'
import {runGit} from './git/exec.js'
import {notACheckout, probeRepository} from './git/repo.js'
import {CONFIG_FILE} from './paths.js'
import {Workspace} from './workspace.js'

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const ASSETS = join(PACKAGE_ROOT, 'assets/init')
export const WORKFLOW_PATH = '.github/workflows/rigor.yml'

export const WORKSPACE_DIRS = ['experiments', 'audits', 'handoffs', 'templates', 'reports', 'deployments'] as const

export interface InitResult {
  root: string
  commit: string | undefined
  created_repo: boolean
  files: string[]
}

/** Creates a workspace in `dir` (and a git repository when there is none) in one commit. */
export async function initWorkspace(dir: string, opts: {configText?: string; github?: boolean; ownRepository?: boolean} = {}): Promise<InitResult> {
  const target = resolve(dir)
  // before anything is written: `git init` inside a bare repository would nest a second repository in it
  const place = await probeRepository(await nearestExisting(target))
  if (place.kind === 'bare' || place.kind === 'git-dir') throw notACheckout(target, place)
  await mkdir(target, {recursive: true})
  let createdRepo = false
  const probe = await runGit(['rev-parse', '--show-toplevel'], {cwd: target, allowFailure: true})
  // a workspace that must be its own repository (the demo) is not folded into an enclosing one
  const enclosed = probe.exitCode === 0 && opts.ownRepository && resolve(probe.stdout.trim()) !== target
  if (probe.exitCode !== 0 || enclosed) {
    await runGit(['init', '-q', '-b', 'main'], {cwd: target})
    createdRepo = true
  }
  const root = createdRepo ? target : probe.stdout.trim()
  if (opts.github && (await exists(join(root, CONFIG_FILE)))) return addGithubWorkflow(root, createdRepo)
  if (await exists(join(root, CONFIG_FILE))) {
    throw new InputError(`${join(root, CONFIG_FILE)} already exists: this is a rigor workspace already`, {
      fix: 'use the workspace as it is, or remove rigor.yaml to start over',
    })
  }
  const configText = opts.configText ?? (await readFile(join(ASSETS, 'rigor.yaml'), 'utf8'))
  const config = parseConfig(configText, CONFIG_FILE)
  const files = new Map<string, string>([
    [CONFIG_FILE, configText],
    ['templates/seed.example.yaml', await readFile(join(ASSETS, 'seed.example.yaml'), 'utf8')],
  ])
  for (const d of WORKSPACE_DIRS) if (d !== 'templates') files.set(`${d}/.gitkeep`, '')
  if (opts.github) files.set(WORKFLOW_PATH, await githubWorkflow())
  for (const path of files.keys()) {
    if (await exists(join(root, path))) throw new InputError(`${path} already exists in ${root}`, {fix: 'move it away, then run rigor init again'})
  }
  const ws = await Workspace.open(root, {config})
  try {
    const outcome = await ws.commit(async () => ({
      files,
      message: {action: 'init', subject: 'initialise workspace'},
      result: undefined,
    }))
    return {root, commit: outcome.commit, created_repo: createdRepo, files: [...files.keys()]}
  } finally {
    await ws.close()
  }
}

async function nearestExisting(path: string): Promise<string> {
  for (let dir = path; ; dir = dirname(dir)) {
    if ((await exists(dir)) || dirname(dir) === dir) return dir
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

export async function isEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0
  } catch {
    return true
  }
}

/** The GitHub Actions workflow of `rigor init --github`, pinned to this rigor's version. */
export async function githubWorkflow(): Promise<string> {
  const {version} = JSON.parse(await readFile(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {version: string}
  return (await readFile(join(PACKAGE_ROOT, 'assets/github/rigor.yml'), 'utf8')).replace('__RIGOR_VERSION__', version)
}

/** `rigor init --github` in an existing workspace adds just the workflow. */
async function addGithubWorkflow(root: string, createdRepo: boolean): Promise<InitResult> {
  if (await exists(join(root, WORKFLOW_PATH))) {
    throw new InputError(`${WORKFLOW_PATH} already exists`, {fix: 'edit it, or remove it and run `rigor init --github` again'})
  }
  const ws = await Workspace.open(root)
  try {
    const files = new Map([[WORKFLOW_PATH, await githubWorkflow()]])
    const outcome = await ws.commit(async () => ({files, message: {action: 'init', subject: 'add the GitHub Actions research cycle'}, result: undefined}))
    return {root, commit: outcome.commit, created_repo: createdRepo, files: [WORKFLOW_PATH]}
  } finally {
    await ws.close()
  }
}
