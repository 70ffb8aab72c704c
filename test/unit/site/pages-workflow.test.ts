import {readFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {validateWorkflow} from '@action-validator/core'
import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'

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
})
