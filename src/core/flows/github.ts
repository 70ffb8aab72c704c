/**
 * `rigor init --github`: the workflow, where CI installs rigor from, and the
 * CODEOWNERS file that asks the auditors to review what the workflow proposes.
 *
 * CI must install the rigor the user validated their research with, from a
 * source whose content cannot change under them: a git commit, a tarball, or the
 * workspace's own lockfile. Never a registry name: rigor is not published, and
 * whoever publishes the name first would run their code with the repository's
 * token.
 */
import {realpath} from 'node:fs/promises'
import {isMap, isScalar, parseDocument} from 'yaml'
import {InputError, InternalError} from '../errors.js'
import {runGit} from '../git/exec.js'
import {CONFIG_FILE} from '../state/layout.js'
import {githubHandleProblem, INSTALL_FROM_PACKAGE_JSON, installSpecProblem} from '../validation.js'

export const WORKFLOW_PATH = '.github/workflows/rigor.yml'
export const CODEOWNERS_PATH = '.github/CODEOWNERS'
/** GitHub reads the first CODEOWNERS of .github/, the root and docs/: a new one in .github/ would silently replace the others */
export const CODEOWNERS_PLACES = [CODEOWNERS_PATH, 'CODEOWNERS', 'docs/CODEOWNERS']
/** what the auditors own: the audit reports, the deployment records, the config (gates, auditors:, the install pin) and the workflow */
export const OWNED_PATHS = ['/audits/', '/deployments/', `/${CONFIG_FILE}`, '/.github/']

/** Where the rigor running this command lives, as far as CI could fetch the same code again. */
export type RunningRigor =
  | {kind: 'checkout'; root: string; commit: string; dirty: boolean; remoteUrl?: string}
  | {kind: 'other'; root: string}

export type InstallSource = 'flag' | 'rigor.yaml' | 'package.json' | 'running rigor'

export interface InstallChoice {
  /** an npm install spec, or `package.json` */
  spec: string
  source: InstallSource
}

export interface InstallInputs {
  /** --install */
  flag?: string
  /** github.install of the committed rigor.yaml */
  recorded?: string
  /** the workspace's committed package.json, parsed (undefined: none) */
  packageJson?: unknown
  /** rigor's own package name, as a devDependency would list it */
  packageName: string
  running: RunningRigor
}

/**
 * How CI installs rigor: --install, else what rigor.yaml records, else the
 * workspace's devDependency, else the commit of the rigor checkout running now
 * when a remote has it. Refuses (exit 2) when none is known, saying how to choose.
 */
export function chooseInstall(inputs: InstallInputs): InstallChoice {
  const dependency = dependencySpec(inputs.packageJson, inputs.packageName)
  const checkDependency = () => {
    if (dependency === undefined) {
      throw new InputError(`package.json lists no ${inputs.packageName} in devDependencies`, {
        field: 'github.install',
        fix: `npm install --save-dev <a pinned git URL or tarball of rigor>, commit package.json and package-lock.json, or choose another source: ${HOW_TO_CHOOSE}`,
      })
    }
    const problem = installSpecProblem(
      dependency.startsWith('file:') ? `./${dependency.slice('file:'.length).replace(/^\.\//, '')}` : dependency,
    )
    if (problem)
      throw new InputError(`package.json: devDependencies["${inputs.packageName}"] is "${dependency}": ${problem}`, {
        field: 'github.install',
        fix: HOW_TO_CHOOSE,
      })
  }
  if (inputs.flag !== undefined) {
    const problem = installSpecProblem(inputs.flag)
    if (problem) throw new InputError(problem, {field: '--install', fix: HOW_TO_CHOOSE})
    if (inputs.flag === INSTALL_FROM_PACKAGE_JSON) checkDependency()
    return {spec: inputs.flag, source: 'flag'}
  }
  if (inputs.recorded !== undefined) {
    if (inputs.recorded === INSTALL_FROM_PACKAGE_JSON) checkDependency()
    return {spec: inputs.recorded, source: 'rigor.yaml'}
  }
  if (dependency !== undefined) {
    checkDependency()
    return {spec: INSTALL_FROM_PACKAGE_JSON, source: 'package.json'}
  }
  const running = runningSpec(inputs.running)
  if ('spec' in running) return {spec: running.spec, source: 'running rigor'}
  throw new InputError(`rigor init --github cannot tell where CI should install rigor from: ${running.why}`, {
    field: '--install',
    fix: HOW_TO_CHOOSE,
  })
}

const HOW_TO_CHOOSE =
  'pass --install with git+https://<host>/<owner>/<repo>.git#<full commit sha> (a commit pushed there), https://<host>/rigor-research-<version>.tgz, ' +
  'or ./<path>.tgz (`npm pack` in rigor, committed in this repository); or --install package.json with rigor in the devDependencies of this ' +
  "workspace's committed package.json and package-lock.json"

function dependencySpec(packageJson: unknown, name: string): string | undefined {
  if (typeof packageJson !== 'object' || packageJson === null) return undefined
  const {devDependencies, dependencies} = packageJson as Record<string, unknown>
  for (const deps of [devDependencies, dependencies]) {
    const spec = typeof deps === 'object' && deps !== null ? (deps as Record<string, unknown>)[name] : undefined
    if (typeof spec === 'string') return spec
  }
  return undefined
}

/** The pinned git URL of the running rigor's commit, or why there is none. */
function runningSpec(running: RunningRigor): {spec: string} | {why: string} {
  if (running.kind === 'other')
    return {why: `the rigor running now (${running.root}) is neither a git checkout nor this workspace's devDependency`}
  if (running.dirty)
    return {why: `the rigor running now is a git checkout (${running.root}) with uncommitted changes: no commit holds the code that runs`}
  if (!running.remoteUrl)
    return {
      why: `commit ${running.commit.slice(0, 12)} of the rigor checkout ${running.root} is on no remote branch: CI could not fetch it (push it first)`,
    }
  const https = httpsCloneUrl(running.remoteUrl)
  if (!https) return {why: `the remote of the rigor checkout ${running.root} (${running.remoteUrl}) has no https address CI could clone`}
  const spec = `git+${https}#${running.commit}`
  const problem = installSpecProblem(spec)
  return problem ? {why: problem} : {spec}
}

/** The https address of a clone URL (ssh forms become https; credentials are dropped), or undefined. */
export function httpsCloneUrl(url: string): string | undefined {
  if (url.startsWith('https://')) {
    try {
      const parsed = new URL(url)
      parsed.username = ''
      parsed.password = ''
      return parsed.toString()
    } catch {
      return undefined
    }
  }
  const ssh =
    /^ssh:\/\/(?:[^@/]+@)?([A-Za-z0-9.-]+)(?::\d+)?\/(.+)$/.exec(url) ?? /^(?:[^@/:]+@)?([A-Za-z0-9.-]+\.[A-Za-z]+):(?!\/)(.+)$/.exec(url)
  return ssh ? `https://${ssh[1]}/${ssh[2]}` : undefined
}

/** Describes the rigor at `root`: a git checkout (its commit, and a remote branch that has it) or not. */
export async function describeRunningRigor(root: string): Promise<RunningRigor> {
  const git = (args: string[]) => runGit(args, {cwd: root, allowFailure: true})
  const top = await git(['rev-parse', '--show-toplevel'])
  // an installed copy inside some other repository's node_modules is not that repository's code
  if (top.exitCode !== 0 || (await realpath(top.stdout.trim()).catch(() => '')) !== (await realpath(root).catch(() => root)))
    return {kind: 'other', root}
  const commit = (await git(['rev-parse', 'HEAD'])).stdout.trim()
  const dirty = (await git(['status', '--porcelain', '--untracked-files=no'])).stdout.trim() !== ''
  const holders = (await git(['for-each-ref', '--contains', 'HEAD', '--format=%(refname)', 'refs/remotes'])).stdout
    .split('\n')
    .filter((r) => r && !r.endsWith('/HEAD'))
  const remotes = [...new Set(holders.map((r) => r.split('/')[2]!))].sort((a, b) => Number(b === 'origin') - Number(a === 'origin'))
  const remoteUrl = remotes.length > 0 ? (await git(['remote', 'get-url', remotes[0]!])).stdout.trim() || undefined : undefined
  return {kind: 'checkout', root, commit, dirty, remoteUrl}
}

/** The paths `spec` needs committed in the workspace for CI to see them. */
export function committedPathsNeeded(spec: string): string[] {
  if (spec === INSTALL_FROM_PACKAGE_JSON) return ['package.json', 'package-lock.json']
  return spec.startsWith('./') ? [spec.slice(2)] : []
}

/** `--reviewers @a,@org/team`: the code owners, checked. */
export function parseReviewers(flag: string): string[] {
  const handles = [...new Set(flag.split(/[\s,]+/).filter(Boolean))]
  if (handles.length === 0)
    throw new InputError('no reviewer given', {
      field: '--reviewers',
      fix: 'name the auditors by GitHub handle: --reviewers @alice,@org/auditors',
    })
  for (const handle of handles) {
    const problem = githubHandleProblem(handle)
    if (problem)
      throw new InputError(problem, {field: '--reviewers', fix: 'name the auditors by GitHub handle: --reviewers @alice,@org/auditors'})
  }
  return handles
}

export function renderCodeowners(reviewers: string[]): string {
  return [
    '# Written by `rigor init --github`: the auditors review every change to the',
    '# audit reports, the deployment records, rigor.yaml (gates, auditors:, the',
    '# install pin) and the workflow. GitHub requests their review on pull requests;',
    '# a branch rule that requires code-owner review makes it binding.',
    ...OWNED_PATHS.map((path) => `${path} ${reviewers.join(' ')}`),
    '',
  ].join('\n')
}

/**
 * The workflow from its template: the state branch and the install spec go in
 * as YAML strings (JSON escapes a quote the way YAML reads it; init refuses a branch holding `${{`), and setup-node's npm
 * cache is keyed by the file that decides what is installed.
 */
export function renderWorkflow(template: string, opts: {stateBranch: string; install: string}): string {
  const text = template
    .replaceAll('__RIGOR_STATE_BRANCH__', JSON.stringify(opts.stateBranch))
    .replaceAll('__RIGOR_INSTALL__', JSON.stringify(opts.install))
    .replaceAll('__CACHE_DEPENDENCY_PATH__', opts.install === INSTALL_FROM_PACKAGE_JSON ? 'package-lock.json' : WORKFLOW_PATH)
  const left = /__[A-Z_]+__/.exec(text)
  if (left) throw new InternalError(`the workflow template has an unknown placeholder ${left[0]}`)
  return text
}

/**
 * rigor.yaml with `github.install` set to `spec`; the text as it was when it
 * already says so. A new `github:` block is appended to the text, so the
 * user's comments and layout stay byte for byte; an existing one is edited in place.
 */
export function recordInstall(configText: string, spec: string): string {
  const doc = parseDocument(configText)
  if (doc.getIn(['github', 'install']) === spec) return configText
  if (!doc.has('github') && isMap(doc.contents) && !doc.contents.flow) {
    const block = [
      '',
      '# How the GitHub workflow installs rigor (`rigor init --github`): a pinned git URL',
      '# or tarball, or package.json (the devDependency). Its RIGOR_INSTALL is a copy.',
      'github:',
      `  install: ${JSON.stringify(spec)}`,
      '',
    ].join('\n')
    const appended = `${configText}${configText.endsWith('\n') || configText === '' ? '' : '\n'}${block}`
    if (parseDocument(appended).getIn(['github', 'install']) === spec) return appended
  }
  const current = doc.getIn(['github', 'install'], true)
  if (isScalar(current) && current.range) {
    const edited = `${configText.slice(0, current.range[0])}${JSON.stringify(spec)}${configText.slice(current.range[1])}`
    if (parseDocument(edited).getIn(['github', 'install']) === spec) return edited
  }
  doc.setIn(['github', 'install'], spec)
  // flow maps as rigor's own template writes them: {a: 1}, not { a: 1 }
  return doc.toString({flowCollectionPadding: false})
}
