import {readFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {validateWorkflow} from '@action-validator/core'
import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import {installSpecProblem} from '../../../src/core/validation.js'

const ROOT = resolve(__dirname, '../../..')

describe('the GitHub Pages workflow of docs/site.md', () => {
  it('is a valid workflow that builds the site from the whole history of the state branch and deploys it', () => {
    const doc = readFileSync(join(ROOT, 'docs/site.md'), 'utf8')
    const text = /## Publishing with GitHub Pages[\s\S]*?```yaml\n([\s\S]*?)```/.exec(doc)?.[1]
    expect(text, 'the yaml block under "Publishing with GitHub Pages"').toBeTruthy()
    expect(validateWorkflow(text!).errors).toEqual([])
    const workflow = parse(text!)
    expect(workflow.permissions).toEqual({})
    const site = workflow.jobs.site.steps
    expect(site[0].with).toMatchObject({ref: '${{ env.RIGOR_STATE_BRANCH }}', 'fetch-depth': 0})
    expect(site.map((s: {run?: string}) => s.run ?? '').join('\n')).toContain('rigor site --out')
    expect(workflow.jobs.deploy.permissions).toEqual({pages: 'write', 'id-token': 'write'})
  })

  it('installs rigor as the research cycle does: from a spec rigor init accepts (never a registry name), with actions pinned to commits', () => {
    const doc = readFileSync(join(ROOT, 'docs/site.md'), 'utf8')
    const workflow = parse(/## Publishing with GitHub Pages[\s\S]*?```yaml\n([\s\S]*?)```/.exec(doc)![1]!)
    // a registry name runs whoever publishes it first, with the Pages token
    expect(installSpecProblem(workflow.env.RIGOR_INSTALL)).toBeUndefined()
    type Step = {name?: string; run?: string; uses?: string}
    const cycle = parse(readFileSync(join(ROOT, 'assets/github/rigor.yml'), 'utf8'))
    const install = (steps: Step[]) => steps.find((s) => s.name === 'Install rigor')?.run
    // the same step as the research cycle's, so every spec it accepts (package.json too) installs here
    expect(install(workflow.jobs.site.steps)).toBe(install(cycle.jobs.work.steps))
    const uses = Object.values(workflow.jobs as Record<string, {steps: Step[]}>).flatMap((job) =>
      job.steps.flatMap((s) => (s.uses ? [s.uses] : [])),
    )
    expect(uses.length).toBeGreaterThan(0)
    for (const action of uses) expect(action).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/)
  })
})
