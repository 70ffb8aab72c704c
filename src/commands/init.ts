import {join, resolve} from 'node:path'
import {Args, Flags} from '@oclif/core'
import {RigorCommand} from '../cli/base.js'
import {cwdFlag, undecodablePathError} from '../cli/flags.js'
import {dirFrom, howToRun} from '../cli/invocation.js'
import {parseReviewers} from '../core/flows/github.js'
import {INIT_TEMPLATES, initWorkspace, type InitResult, type InitTemplate} from '../core/flows/init.js'

export default class Init extends RigorCommand {
  static override summary = 'Create a rigor workspace (and a git repository when there is none).'
  static override description =
    'Writes rigor.yaml, the workspace folders and an example seed spec, in one commit. With --github (also in an existing workspace): ' +
    '.github/workflows/rigor.yml, which installs rigor from the source recorded as github.install in rigor.yaml, and with --reviewers .github/CODEOWNERS.'
  static override examples = [
    '<%= config.bin %> init',
    '<%= config.bin %> init my-research',
    '<%= config.bin %> init my-pipeline --template pipeline',
    '<%= config.bin %> init --github --install git+https://github.com/you/rigor.git#<full commit sha> --reviewers @alice,@org/auditors',
    '<%= config.bin %> init --github --install package.json',
  ]
  // --cwd names the directory too (as on every workspace command); --remote means nothing before there is a workspace
  static override baseFlags = {cwd: cwdFlag}
  static override args = {dir: Args.string({description: 'directory of the workspace', default: '.'})}
  static override flags = {
    template: Flags.string({
      description:
        'what the workspace starts from: default (one example node) or pipeline (train -> backtest -> assess in Python, wired by stage inputs)',
      options: [...INIT_TEMPLATES],
      default: 'default',
    }),
    github: Flags.boolean({
      description:
        'also write .github/workflows/rigor.yml: scheduled workers on a shared remote, then rank, audit, report and a pull request',
    }),
    install: Flags.string({
      description:
        "how CI installs rigor: git+https://...#<full commit sha>, https://....tgz, ./<committed>.tgz, or package.json (the devDependency); default: rigor.yaml's github.install, the devDependency, or the commit of the rigor checkout running now",
      dependsOn: ['github'],
    }),
    reviewers: Flags.string({
      description:
        'GitHub handles that own audits/, deployments/, rigor.yaml and .github/ in .github/CODEOWNERS, e.g. @alice,@org/auditors',
      dependsOn: ['github'],
    }),
  }

  async run(): Promise<InitResult> {
    const {args, flags} = await this.parse(Init)
    const dir = flags.cwd && args.dir === '.' ? flags.cwd : args.dir
    // the folder to set up, made when missing: one whose name Node could not read would be made under another name
    const undecodable = undecodablePathError(resolve(dir), 'the folder', flags.cwd && args.dir === '.' ? '--cwd' : 'dir')
    if (undecodable) throw undecodable
    const reviewers = flags.reviewers === undefined ? undefined : parseReviewers(flags.reviewers)
    const result = await initWorkspace(dir, {
      github: flags.github ? {install: flags.install, reviewers} : undefined,
      template: flags.template as InitTemplate,
    })
    this.say(`Initialised rigor workspace in ${result.root}${result.created_repo ? ' (new git repository)' : ''}`)
    const github = result.github
    if (github) {
      this.say(`CI installs rigor from ${github.install} (${github.install_source}); the state branch is ${github.state_branch}`)
      for (const note of github.notes) this.say(`Next: ${note}`)
    } else {
      const rigor = howToRun({bin: join(this.config.root, 'bin', 'run.js'), name: this.config.bin}).prefix
      const where = dirFrom(process.cwd(), result.root)
      const cd = where === '.' ? '' : `\`cd ${where}\`, `
      const seed = flags.template === 'pipeline' ? 'templates/pipeline.seed.yaml' : 'templates/seed.example.yaml'
      this.say(
        `Next: ${cd}edit rigor.yaml and commit it (rigor reads the committed one), then \`${rigor} seed ${seed}\` and \`${rigor} work\``,
      )
    }
    return result
  }
}
