import {execFileSync} from 'node:child_process'
import {chmodSync, mkdirSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {GIT_ENV} from '../helpers/git-repo.js'

/** What github.test.ts and github-workflow.test.ts share: the workflow's path, rigor packed as CI installs it, a runner's setup. */

const ROOT = resolve(__dirname, '../..')
export const WORKFLOW = '.github/workflows/rigor.yml'

/** `npm pack` of this checkout (built by `npm run build` before the tests) into `dir`: the tarball's file name. */
export function packRigor(dir: string): string {
  return execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], {cwd: ROOT, encoding: 'utf8'})
    .trim()
    .split('\n')
    .at(-1)!
}

/** A gh that records what it is asked (the pull request it would open), and the environment a runner's steps get. */
export function runnerSetup(scratch: string): {bin: string; ghLog: string; env: Record<string, string>} {
  const bin = join(scratch, 'bin')
  mkdirSync(bin)
  const ghLog = join(scratch, 'gh.jsonl')
  writeFileSync(
    join(bin, 'gh'),
    `#!${process.execPath}
const fs = require('fs')
const args = process.argv.slice(2)
const record = {args, gh_token: process.env.GH_TOKEN, gh_repo: process.env.GH_REPO}
if (args[0] === 'pr' && args[1] === 'create') record.body = fs.readFileSync(args[args.indexOf('--body-file') + 1], 'utf8')
fs.appendFileSync(process.env.FAKE_GH_LOG, JSON.stringify(record) + '\\n')
if (args[0] === 'pr') console.log('https://github.com/' + process.env.GH_REPO + '/pull/1')
`,
  )
  chmodSync(join(bin, 'gh'), 0o755)
  // a runner has no git identity or config of its own: the workflow sets what it needs
  const env: Record<string, string> = {
    PATH: process.env.PATH!,
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    FAKE_GH_LOG: ghLog,
    npm_config_update_notifier: 'false',
  }
  // the machine's registry, proxy and certificate settings, as a hosted runner has its own
  for (const name of [
    'HOME',
    'TMPDIR',
    'LANG',
    'npm_config_cache',
    'npm_config_registry',
    'npm_config_cafile',
    'NODE_EXTRA_CA_CERTS',
    'HTTP_PROXY',
    'HTTPS_PROXY',
    'NO_PROXY',
    'http_proxy',
    'https_proxy',
    'no_proxy',
  ]) {
    if (process.env[name]) env[name] = process.env[name]!
  }
  return {bin, ghLog, env}
}

/** git in `cwd` with the test identity: its trimmed output. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {cwd, env: {...process.env, ...GIT_ENV}, encoding: 'utf8'}).trim()
}
