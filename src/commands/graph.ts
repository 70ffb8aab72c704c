import {Flags} from '@oclif/core'
import {WorkspaceCommand} from '../cli/base.js'
import {InputError} from '../core/errors.js'
import {withWorkspace} from '../cli/workspace.js'
import {MERMAID_LIMITS, mermaidFits, mermaidSize, renderGraph, type GraphNode} from '../core/views/graph.js'

export default class Graph extends WorkspaceCommand {
  static override summary = 'The experiment DAG as a mermaid (renders on GitHub) or dot graph, coloured by status.'
  static override examples = [
    '<%= config.bin %> graph > graph.mmd',
    '<%= config.bin %> graph --root arch --format dot | dot -Tsvg > dag.svg',
  ]
  static override flags = {
    format: Flags.option({options: ['mermaid', 'dot'] as const, default: 'mermaid'})(),
    root: Flags.string({description: 'only this node and what descends from it (or, for an id prefix, every node under it)'}),
    markdown: Flags.boolean({description: 'wrap mermaid output in a ```mermaid fence'}),
    expand: Flags.boolean({description: 'draw every sweep variant (by default a sweep is one box counting its variants by status)'}),
  }

  async run(): Promise<{format: 'mermaid' | 'dot'; graph: string}> {
    const {flags} = await this.parse(Graph)
    // a ```mermaid fence is what GitHub draws; a dot graph in one would show as an error, and in a ```dot fence as text
    if (flags.markdown && flags.format === 'dot')
      throw new InputError('--markdown wraps a mermaid graph for GitHub, which does not draw dot', {
        field: '--markdown',
        fix: 'drop --markdown for dot (render it with Graphviz: dot -Tsvg), or leave --format out for mermaid',
      })
    const graph = await withWorkspace(flags, async (ws) => {
      const snap = await ws.currentSnapshot()
      const nodes: GraphNode[] = []
      for (const record of snap.nodes.values()) {
        if (!record.node) continue
        const verdict = record.verdictOid ? await ws.store.verdict(record).catch(() => undefined) : undefined
        nodes.push({...record.node, metrics: verdict?.metrics})
      }
      return renderGraph(nodes, {format: flags.format, root: flags.root, collapseSweeps: !flags.expand})
    })
    if (flags.format === 'mermaid' && !mermaidFits(graph)) {
      // past mermaid's default limits GitHub (and mermaid's own tools) show an error in place of the drawing
      const {characters, edges} = mermaidSize(graph)
      this.warn(
        `this graph (${characters.toLocaleString('en-US')} characters, ${edges} edges) is more than mermaid draws by default ` +
          `(${MERMAID_LIMITS.characters.toLocaleString('en-US')} characters, ${MERMAID_LIMITS.edges} edges): GitHub shows an error in its place. ` +
          'Draw one lineage with --root <id>, or use --format dot (Graphviz), or `rigor site` (its DAG page draws them all)',
      )
    }
    const text = flags.markdown && flags.format === 'mermaid' ? `\`\`\`mermaid\n${graph}\n\`\`\`` : graph
    if (!this.jsonEnabled()) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
    return {format: flags.format, graph}
  }
}
