import {afterEach, describe, expect, it} from 'vitest'
import {rigor} from '../helpers/cli.js'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'

let repo: TempRepo | undefined
afterEach(() => repo?.cleanup())

describe("rigor init's next step", () => {
  it('says to commit the edited rigor.yaml: an edit left in the working tree is a draft that judges nothing', () => {
    repo = gitRepo({init: false})
    const init = rigor(repo.dir, ['init', 'my-research'])
    expect(init.code, init.stderr).toBe(0)
    expect(init.stdout).toMatch(
      /^Next: `cd my-research`, edit rigor\.yaml and commit it \(rigor reads the committed one\), then `.+ seed templates\/seed\.example\.yaml` and `.+ work`$/m,
    )
  })
})
