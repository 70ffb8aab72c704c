import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {stringify} from 'yaml'
import type {TempRepo} from '../helpers/git-repo.js'

/** SSH keys of a few auditors (and of people who are not), made once per test file. */
export interface AuditorKeys {
  dir: string
  /** the private key's path */
  key(name: string): string
  /** the public key's line */
  pub(name: string): string
  remove(): void
}

export function auditorKeys(names: readonly string[]): AuditorKeys {
  const dir = mkdtempSync(join(tmpdir(), 'rigor-keys-'))
  const key = (name: string) => join(dir, name)
  for (const name of names) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}@lab`, '-f', key(name)])
  return {
    dir,
    key,
    pub: (name) => readFileSync(`${key(name)}.pub`, 'utf8').trim(),
    remove: () => rmSync(dir, {recursive: true, force: true}),
  }
}

/** A runner that leaves returns and positions: artifacts an audit can cover. */
export const AUDITABLE_RUNNER = [
  process.execPath,
  '-e',
  "const fs=require('fs');const o=process.env.RIGOR_OUT;fs.writeFileSync(o+'/returns.csv','date,return\\n2020-01-02,0.01\\n2020-01-03,0.02\\n');fs.writeFileSync(o+'/positions.csv','date,position\\n2020-01-01,1\\n2020-01-02,1\\n');fs.writeFileSync(o+'/verdict.json',JSON.stringify({metrics:{sharpe:1}}))",
]

/** alice and bob listed as auditors in the workspace's rigor.yaml, in one commit (the first list: trusted on first use); the config. */
export function listAuditors(repo: TempRepo, keys: AuditorKeys): Record<string, unknown> {
  const config = {
    version: 1,
    teams: [{name: 'default'}],
    gates: [{name: 'g', accept_when: 'true'}],
    auditors: ['alice', 'bob'].map((name) => ({name, key: keys.pub(name)})),
  }
  writeFileSync(join(repo.dir, 'rigor.yaml'), stringify(config))
  repo.git('commit', '-qam', 'auditors: trusted on first use')
  return config
}
