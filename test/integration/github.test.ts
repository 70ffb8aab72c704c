import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {validateWorkflow} from '@action-validator/core'
import {afterEach, describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import {json, rigor} from '../helpers/cli.js'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

describe('rigor init --github', () => {
  it('writes a workflow that passes the validator: scheduled workers on the remote, then a review job', () => {
    repo = gitRepo()
    const init = rigor(repo.dir, ['init', '--github', '--json'])
    expect(init.code, init.stderr).toBe(0)
    expect(json(init).files).toContain('.github/workflows/rigor.yml')
    const text = readFileSync(join(repo.dir, '.github/workflows/rigor.yml'), 'utf8')
    expect(validateWorkflow(text).errors).toEqual([])
    const workflow = parse(text)
    expect(workflow.on.schedule[0].cron).toBeTruthy()
    expect(workflow.on).toHaveProperty('workflow_dispatch')
    expect(workflow.jobs.work.strategy.matrix.worker.length).toBeGreaterThan(1)
    const workSteps = workflow.jobs.work.steps.map((s: {run?: string}) => s.run ?? '').join('\n')
    expect(workSteps).toContain('rigor work --remote origin')
    expect(workflow.jobs.review.needs).toBe('work')
    const reviewSteps = workflow.jobs.review.steps.map((s: {run?: string}) => s.run ?? '').join('\n')
    for (const step of ['rigor audit', 'rigor rank', 'rigor report', 'gh pr create']) expect(reviewSteps).toContain(step)
    expect(text).not.toContain('__RIGOR_VERSION__')
    expect(repo.git('status', '--porcelain')).toBe('')
  })

  it('adds only the workflow to an existing workspace, once', () => {
    repo = gitRepo()
    rigor(repo.dir, ['init'])
    const add = rigor(repo.dir, ['init', '--github'])
    expect(add.code, add.stderr).toBe(0)
    expect(repo.git('show', '--name-only', '--format=', 'HEAD')).toBe('.github/workflows/rigor.yml')
    expect(rigor(repo.dir, ['init', '--github']).code).toBe(2)
  })
})
