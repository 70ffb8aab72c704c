import {Args} from '@oclif/core'
import {RigorCommand} from '../cli/base.js'
import {withWorkspace} from '../cli/workspace.js'
import {dumpYaml} from '../core/documents.js'
import {listAudits} from '../core/auditor/index.js'
import {showNode, type NodeDetails} from '../core/show.js'

export default class Show extends RigorCommand {
  static override summary = 'One node with its lineage, verdict and audits.'
  static override examples = ['<%= config.bin %> show loss/sharpe-pf', '<%= config.bin %> show loss/sharpe-pf --json']
  static override args = {id: Args.string({description: 'node id', required: true})}

  async run(): Promise<NodeDetails> {
    const {args, flags} = await this.parse(Show)
    return withWorkspace(flags.cwd, async (ws) => {
      const details = await showNode(ws, args.id, listAudits)
      if (!this.jsonEnabled()) {
        const {verdict, audits, lineage, children, ...node} = details
        this.log(`# ${node.id}  (${node.status}${node.archived ? ', archived' : ''})`)
        if (lineage.length) this.log(`lineage: ${[...lineage, node.id].join(' -> ')}`)
        if (children.length) this.log(`children: ${children.join(', ')}`)
        this.log(dumpYaml(node).trimEnd())
        this.log(verdict ? `\n## verdict\n${dumpYaml(verdict).trimEnd()}` : '\n(no verdict yet)')
        if (audits.length) this.log(`\n## audits\n${dumpYaml(audits).trimEnd()}`)
      }
      return details
    })
  }
}
