import {execFileSync} from 'node:child_process'
import {chmodSync, mkdirSync, readFileSync, utimesSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'
import {nodeSpec, writeSpec} from './helpers.js'

/** The actions of `rigor log --json`'s lines, newest first. */
const logActions = (stdout: string): string[] =>
  stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line).action)

let repo: TempRepo | undefined
afterEach(() => repo?.cleanup())

/** A repository whose user's global git config is `config` (a gitconfig text), for rigor and the test's own git alike. */
function repoWithUserConfig(config: string): {repo: TempRepo; env: Record<string, string>} {
  repo = gitRepo()
  const file = join(repo.dir, '.git', 'user-gitconfig')
  writeFileSync(file, config)
  return {repo, env: {GIT_CONFIG_GLOBAL: file}}
}

describe('a user git config with core.autocrlf = true', () => {
  it('files git checked out with CRLF are not edits: a touched node is claimed, rigor.yaml is no draft', () => {
    const {repo, env} = repoWithUserConfig('[core]\n\tautocrlf = true\n')
    expect(rigor(repo.dir, ['init'], env).code).toBe(0)
    writeSpec(repo.dir, {nodes: [nodeSpec('t/a')]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml'], env).code).toBe(0)
    // git wrote the files with CRLF (the blobs hold LF)
    expect(readFileSync(join(repo.dir, 'experiments/t/a/node.yaml'), 'utf8')).toContain('\r\n')
    expect(readFileSync(join(repo.dir, 'rigor.yaml'), 'utf8')).toContain('\r\n')
    // touched (an editor's save, a backup tool): stat-dirty, its bytes unchanged
    const later = new Date(Date.now() + 60_000)
    for (const file of ['experiments/t/a/node.yaml', 'rigor.yaml']) utimesSync(join(repo.dir, file), later, later)
    const status = rigor(repo.dir, ['status'], env)
    expect(status.code).toBe(0)
    expect(status.stderr).not.toContain('uncommitted edits')
    expect(status.stderr).not.toContain('differs from the committed one')
    const work = rigor(repo.dir, ['work'], env)
    expect(work.code, work.stderr).toBe(0)
    expect(json(rigor(repo.dir, ['show', 't/a', '--json'], env)).status).toBe('proven_accepted')
  })

  it('a real edit is still one, whatever its line endings', () => {
    const {repo, env} = repoWithUserConfig('[core]\n\tautocrlf = true\n')
    expect(rigor(repo.dir, ['init'], env).code).toBe(0)
    writeFileSync(join(repo.dir, 'rigor.yaml'), `${readFileSync(join(repo.dir, 'rigor.yaml'), 'utf8')}# draft\r\n`)
    expect(rigor(repo.dir, ['status'], env).stderr).toContain('differs from the committed one')
  })
})

describe('a user git config with core.hooksPath', () => {
  it("a reference-transaction hook that refuses rigor's update is said as such, at once, not retried as a lost race", () => {
    const {repo, env} = repoWithUserConfig('')
    const hooks = join(repo.dir, '.git', 'my-hooks')
    writeFileSync(env.GIT_CONFIG_GLOBAL!, `[core]\n\thooksPath = ${hooks}\n`)
    expect(rigor(repo.dir, ['init'], env).code).toBe(0)
    // its words read like git's own "is at ... but expected" of a lost race
    mkdirSync(hooks)
    writeFileSync(
      join(hooks, 'reference-transaction'),
      '#!/bin/sh\n[ "$1" = prepared ] || exit 0\necho "policy: main is at a frozen commit" >&2\nexit 1\n',
    )
    chmodSync(join(hooks, 'reference-transaction'), 0o755)
    writeSpec(repo.dir, {nodes: [nodeSpec('t/a')]})
    const seed = rigor(repo.dir, ['seed', 'spec.yaml', '--json'], env)
    expect(seed.code).toBe(1)
    const error = json(seed).error
    expect(error.message).toContain('reference-transaction hook refused')
    expect(error.message).toContain('policy: main is at a frozen commit')
    expect(error.fix).toContain('core.hooksPath')
  })
})

describe('a user git config with log.showSignature = true (who signs commits with SSH)', () => {
  it("a signed commit of the user's is read as any other: verify names its hand edit, log lists the history", () => {
    const {repo, env} = repoWithUserConfig('')
    const key = join(repo.dir, '.git', 'my-key')
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'me@lab', '-f', key])
    const signers = join(repo.dir, '.git', 'allowed-signers')
    writeFileSync(signers, `test@rigor.invalid ${readFileSync(`${key}.pub`, 'utf8')}`)
    writeFileSync(
      env.GIT_CONFIG_GLOBAL!,
      `[log]\n\tshowSignature = true\n[gpg]\n\tformat = ssh\n[gpg "ssh"]\n\tallowedSignersFile = ${signers}\n[user]\n\tsigningkey = ${key}\n`,
    )
    expect(rigor(repo.dir, ['init'], env).code).toBe(0)
    writeSpec(repo.dir, {nodes: [nodeSpec('t/a')]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml'], env).code).toBe(0)
    const node = join(repo.dir, 'experiments/t/a/node.yaml')
    writeFileSync(node, readFileSync(node, 'utf8').replace('priority: 0', 'priority: 5'))
    execFileSync('git', ['commit', '-q', '-S', '-am', 'my signed edit'], {cwd: repo.dir, env: {...process.env, ...env}})
    const verify = rigor(repo.dir, ['verify', '--json'], env)
    expect(verify.code, verify.stdout).toBe(1)
    const report = json(verify)
    expect(report.error).toBeUndefined()
    expect(report.hand_changes.map((h: {path: string}) => h.path)).toEqual(['experiments/t/a/node.yaml'])
    const log = rigor(repo.dir, ['log', '--json'], env)
    expect(log.code).toBe(0)
    expect(logActions(log.stdout)).toEqual(['seed', 'init'])
  })
})

describe('a user git config with grep.patternType = fixed', () => {
  it("rigor log still finds rigor's commits by their trailer", () => {
    const {repo, env} = repoWithUserConfig('[grep]\n\tpatternType = fixed\n')
    expect(rigor(repo.dir, ['init'], env).code).toBe(0)
    const log = rigor(repo.dir, ['log', '--json'], env)
    expect(log.code).toBe(0)
    expect(logActions(log.stdout)).toEqual(['init'])
  })
})

describe('a user git config with i18n.logOutputEncoding = latin1', () => {
  it('rigor log reads the messages as written (UTF-8)', () => {
    const {repo, env} = repoWithUserConfig('[i18n]\n\tlogOutputEncoding = latin1\n')
    expect(rigor(repo.dir, ['init'], env).code).toBe(0)
    writeSpec(repo.dir, {nodes: [nodeSpec('t/a')]}, 'café.yaml')
    expect(rigor(repo.dir, ['seed', 'café.yaml'], env).code).toBe(0)
    const log = rigor(repo.dir, ['log', '--json'], env)
    expect(JSON.parse(log.stdout.trim().split('\n')[0]!).subject).toBe('seed 1 node(s) from café.yaml')
  })
})
