import {Args} from '@oclif/core'
import {RigorCommand} from '../cli/base.js'
import {bashCompletion, zshCompletion, type CompletionCommand} from '../cli/completion.js'

export default class Completion extends RigorCommand {
  static override summary = 'Print the shell completion script for bash or zsh.'
  static override description =
    `Commands, topics, flags and the values of flags with fixed options complete; arguments complete as file names.
bash: add \`source <(rigor completion bash)\` to ~/.bashrc (or save the output as ~/.local/share/bash-completion/completions/rigor).
zsh: add \`source <(rigor completion zsh)\` to ~/.zshrc, after compinit.
Run it again after upgrading rigor: the script lists the commands of the rigor that printed it.`
  static override examples = [
    'source <(<%= config.bin %> completion bash)',
    "echo 'source <(<%= config.bin %> completion zsh)' >> ~/.zshrc",
  ]
  static override args = {shell: Args.string({description: 'the shell', options: ['bash', 'zsh'], required: true})}
  static override enableJsonFlag = false

  async run(): Promise<void> {
    const {args} = await this.parse(Completion)
    const commands: CompletionCommand[] = this.config.commands
      .filter((c) => !c.hidden)
      .map((c) => ({
        id: c.id.replace(/:/g, ' '),
        flags: Object.entries(c.flags)
          .filter(([, f]) => !f.hidden)
          .map(([name, f]) => ({
            name,
            char: f.char,
            takesValue: f.type === 'option',
            options: f.type === 'option' ? f.options : undefined,
          })),
      }))
    const script = args.shell === 'zsh' ? zshCompletion(this.config.bin, commands) : bashCompletion(this.config.bin, commands)
    process.stdout.write(script)
  }
}
