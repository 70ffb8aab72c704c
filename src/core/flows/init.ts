import {mkdir, readdir, readFile, stat} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseConfig} from '../state/config.js'
import {utf8Text} from '../state/documents.js'
import {InputError} from '../errors.js'
import {
  chooseInstall,
  CODEOWNERS_PATH,
  CODEOWNERS_PLACES,
  committedPathsNeeded,
  describeRunningRigor,
  OWNED_PATHS,
  recordInstall,
  renderCodeowners,
  renderWorkflow,
  WORKFLOW_PATH,
  type InstallSource,
  type RunningRigor,
} from './github.js'
import {runGit} from '../git/exec.js'
import {notACheckout, probeRepository} from '../git/repo.js'
import {CONFIG_FILE, TEMPLATES_DIR, WORKSPACE_DIRS} from '../state/layout.js'
import {Workspace} from '../state/workspace.js'

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const ASSETS = join(PACKAGE_ROOT, 'assets/init')


export interface InitResult {
  root: string
  commit: string | undefined
  created_repo: boolean
  files: string[]
  /** with --github: what the workflow was made from, and what is left to set up on GitHub */
  github?: GithubSetup
}

export interface GithubInitOptions {
  /** --install: how CI installs rigor (see chooseInstall) */
  install?: string
  /** --reviewers: GitHub handles that own audits/, deployments/, rigor.yaml and .github/ */
  reviewers?: string[]
  /** the rigor running this command (default: this package, described from its files) */
  running?: RunningRigor
}

export interface GithubSetup {
  state_branch: string
  install: string
  install_source: InstallSource
  codeowners: string[]
  /** what the user still has to do, one line each */
  notes: string[]
}

/** Creates a workspace in `dir` (and a git repository when there is none) in one commit. */
export async function initWorkspace(dir: string, opts: {configText?: string; github?: GithubInitOptions; ownRepository?: boolean} = {}): Promise<InitResult> {
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
  if (opts.github && (await exists(join(root, CONFIG_FILE)))) return addGithubWorkflow(root, createdRepo, opts.github)
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
  for (const d of WORKSPACE_DIRS) if (d !== TEMPLATES_DIR) files.set(`${d}/.gitkeep`, '')
  const ws = await Workspace.open(root, {config})
  try {
    const github = opts.github ? await planGithub(ws, configText, opts.github) : undefined
    if (github) {
      for (const [path, text] of github.files) files.set(path, text)
      files.set(CONFIG_FILE, recordInstall(configText, github.setup.install))
    }
    for (const path of files.keys()) {
      if (await exists(join(root, path))) throw new InputError(`${path} already exists in ${root}`, {fix: 'move it away, then run rigor init again'})
    }
    parseConfig(files.get(CONFIG_FILE)!, CONFIG_FILE)
    const outcome = await ws.commit(async () => ({
      files,
      message: {action: 'init', subject: 'initialise workspace'},
      result: undefined,
    }))
    return {root, commit: outcome.commit, created_repo: createdRepo, files: [...files.keys()], github: github?.setup}
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

/**
 * What `rigor init --github` adds: the workflow (installing rigor from a source
 * that exists, see chooseInstall) and, with reviewers, .github/CODEOWNERS. Reads
 * what CI will see: the state branch's committed files, never the working tree.
 */
async function planGithub(ws: Workspace, configText: string, opts: GithubInitOptions): Promise<{files: Map<string, string>; setup: GithubSetup}> {
  const stateBranch = ws.stateRef.replace(/^refs\/heads\//, '')
  const tip = await ws.readTip()
  const committed = async (path: string) => (tip ? ws.repo.readFileAt(tip, path) : undefined)
  const packageBlob = await committed('package.json')
  let packageJson: unknown
  try {
    packageJson = packageBlob ? JSON.parse(packageBlob.toString('utf8')) : undefined
  } catch (err) {
    throw new InputError(`package.json on branch ${stateBranch} is not JSON: ${(err as Error).message}`, {file: 'package.json', fix: 'fix the file and commit it'})
  }
  const install = chooseInstall({
    flag: opts.install,
    recorded: parseConfig(configText, CONFIG_FILE).github?.install,
    packageJson,
    packageName: (await ownPackage()).name,
    running: opts.running ?? (await describeRunningRigor(PACKAGE_ROOT)),
  })
  for (const path of committedPathsNeeded(install.spec)) {
    if (!(await committed(path))) {
      throw new InputError(`${path} is not committed on branch ${stateBranch}, and CI sees only what is`, {
        field: install.source === 'flag' ? '--install' : 'github.install',
        fix: `commit it (git add ${path} && git commit -m "rigor for CI"), then run rigor init --github again`,
      })
    }
  }
  const files = new Map<string, string>([[WORKFLOW_PATH, await githubWorkflow({stateBranch, install: install.spec})]])
  const notes = [
    'add the auditor\'s SSH private key as the repository secret RIGOR_SIGNING_KEY, and the auditor\'s name (as in auditors: of rigor.yaml) as the repository variable RIGOR_AUDITOR',
    'allow the review pull request: Settings > Actions > General > Workflow permissions > "Allow GitHub Actions to create and approve pull requests"',
  ]
  const existing: string[] = []
  for (const place of CODEOWNERS_PLACES) if ((await exists(join(ws.root, place))) || (await committed(place))) existing.push(place)
  const lines = (owners: string) => OWNED_PATHS.map((p) => `${p} ${owners}`).join('; ')
  if (opts.reviewers && existing.length > 0) {
    throw new InputError(`${existing[0]} exists already; rigor does not rewrite it`, {
      field: '--reviewers',
      fix: `add these lines to ${existing[0]} yourself: ${lines(opts.reviewers.join(' '))}; then run rigor init --github without --reviewers`,
    })
  }
  if (opts.reviewers) files.set(CODEOWNERS_PATH, renderCodeowners(opts.reviewers))
  else if (existing.length > 0) notes.push(`make the auditors own ${OWNED_PATHS.join(', ')} in ${existing[0]}, by their GitHub handles`)
  else notes.push('no CODEOWNERS written (no --reviewers): nobody is asked to review the audits; rerun with --reviewers @alice,@org/auditors or write .github/CODEOWNERS')
  return {files, setup: {state_branch: stateBranch, install: install.spec, install_source: install.source, codeowners: opts.reviewers ?? [], notes}}
}

async function ownPackage(): Promise<{name: string; version: string}> {
  return JSON.parse(await readFile(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {name: string; version: string}
}

/** The GitHub Actions workflow of `rigor init --github`. */
export async function githubWorkflow(opts: {stateBranch: string; install: string}): Promise<string> {
  return renderWorkflow(await readFile(join(PACKAGE_ROOT, 'assets/github/rigor.yml'), 'utf8'), opts)
}

/** `rigor init --github` in an existing workspace adds the workflow (and CODEOWNERS), and records the install source in rigor.yaml. */
async function addGithubWorkflow(root: string, createdRepo: boolean, opts: GithubInitOptions): Promise<InitResult> {
  const ws = await Workspace.open(root)
  try {
    const tip = await ws.readTip()
    // on the state branch too: with branch: set, this checkout may be another branch
    if ((await exists(join(root, WORKFLOW_PATH))) || (tip && (await ws.repo.readFileAt(tip, WORKFLOW_PATH)))) {
      throw new InputError(`${WORKFLOW_PATH} already exists`, {fix: 'edit it, or remove it and run `rigor init --github` again'})
    }
    const configAt = async (commit: string | undefined) => utf8Text((commit && (await ws.repo.readFileAt(commit, CONFIG_FILE))) || Buffer.alloc(0), CONFIG_FILE)
    const github = await planGithub(ws, await configAt(tip), opts)
    const outcome = await ws.commit(async (snap) => {
      // rebuilt on the tip this attempt commits on: a concurrent change of rigor.yaml is kept
      const files = new Map(github.files)
      const before = await configAt(snap.commit)
      const after = recordInstall(before, github.setup.install)
      if (after !== before) files.set(CONFIG_FILE, after)
      parseConfig(after, CONFIG_FILE)
      return {files, message: {action: 'init', subject: 'add the GitHub Actions research cycle'}, result: [...files.keys()]}
    })
    return {root, commit: outcome.commit, created_repo: createdRepo, files: outcome.result, github: github.setup}
  } finally {
    await ws.close()
  }
}
