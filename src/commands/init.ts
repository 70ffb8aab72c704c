import {Args, Flags} from '@oclif/core'
import {RigorCommand} from '../cli/base.js'
import {initWorkspace, type InitResult} from '../core/init.js'

export default class Init extends RigorCommand {
  static override summary = 'Create a rigor workspace (and a git repository when there is none).'
  static override description = 'Writes rigor.yaml, the workspace folders and an example seed spec, in one commit.'
  static override examples = ['<%= config.bin %> init', '<%= config.bin %> init my-research']
  static override args = {dir: Args.string({description: 'directory of the workspace', default: '.'})}
  static override flags = {
    github: Flags.boolean({description: 'also write .github/workflows/rigor.yml: scheduled workers on a shared remote, then audit, rank, report and a pull request'}),
  }

  async run(): Promise<InitResult> {
    const {args, flags} = await this.parse(Init)
    const dir = flags.cwd && args.dir === '.' ? flags.cwd : args.dir
    const result = await initWorkspace(dir, {github: flags.github})
    this.say(`Initialised rigor workspace in ${result.root}${result.created_repo ? ' (new git repository)' : ''}`)
    this.say(`Next: edit rigor.yaml, then \`rigor seed templates/seed.example.yaml\` and \`rigor work\``)
    return result
  }
}
