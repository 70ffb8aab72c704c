import {describe, expect, it} from 'vitest'
import {extractBlock} from '../../../src/core/agent/run-agent.js'

describe('extractBlock: the seed spec in an agent answer', () => {
  it('takes the yaml block even when a block in another language comes first', () => {
    const answer = 'Here is a helper:\n```python\nprint(1)\n```\nAnd the spec:\n```yaml\nnodes: []\n```\nDone.'
    expect(extractBlock(answer)).toBe('nodes: []')
    expect(extractBlock('```json\n{"nodes": []}\n```')).toBe('{"nodes": []}')
    expect(extractBlock('```YAML\nnodes: []\n```')).toBe('nodes: []')
  })

  it('falls back to the first untagged block, then to the whole answer', () => {
    expect(extractBlock('```sh\nls\n```\n```\nnodes: []\n```')).toBe('nodes: []')
    expect(extractBlock('nodes: []\n')).toBe('nodes: []')
    expect(extractBlock('```python\nprint(1)\n```')).toBe('```python\nprint(1)\n```')
  })
})
