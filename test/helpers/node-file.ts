import type {NodeFile, NodeStatus} from '../../src/core/schemas/index.js'
import {renderNode} from '../../src/core/state/node-files.js'

/** A valid node of the default team with a fresh checksum: the node and its node.yaml text. */
export function testNode(id: string, status: NodeStatus, extra: Partial<NodeFile> = {}): {node: NodeFile; text: string} {
  return renderNode({
    id,
    team: 'default',
    status,
    run: {command: ['true']},
    params: {},
    requires: [],
    priority: 0,
    generation: 0,
    attempt: 1,
    created_at: '2026-01-01T00:00:00.000Z',
    ...extra,
  } as NodeFile)
}
