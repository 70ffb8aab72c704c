import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {InternalError} from '../../src/core/errors.js'
import {NodeFile, type NodeStatus} from '../../src/core/schemas/index.js'
import {nodeChange, renderNode} from '../../src/core/state/node-files.js'
import {testNode} from '../helpers/node-file.js'

// nodeChange validates only the fields a patch sets (the node it changes was validated when read): what it writes
// must be what rendering the whole node through its schema writes, and a bad field must still be refused

const statuses: NodeStatus[] = ['pending', 'running', 'proven_accepted', 'proven_rejected', 'inconclusive', 'blocked', 'cancelled']
const patch = fc.record(
  {
    status: fc.constantFrom(...statuses),
    attempt: fc.option(fc.integer({min: 0, max: 9}), {nil: undefined}),
    worker: fc.option(fc.constantFrom('w1', 'vm-7'), {nil: undefined}),
    reason: fc.option(fc.string({maxLength: 40}), {nil: undefined}),
    started_at: fc.option(fc.constant('2026-02-03T04:05:06.000Z'), {nil: undefined}),
    priority: fc.option(fc.integer({min: -5, max: 5}), {nil: undefined}),
  },
  {requiredKeys: ['status']},
)

describe('nodeChange', () => {
  it('writes what rendering the whole changed node through its schema writes (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...statuses), patch, (from, change) => {
        const {node} = testNode('fam/a', from, {worker: 'w0', reason: 'before'})
        const [, text, changed] = nodeChange(node, change)
        const whole = renderNode({...node, ...change} as NodeFile)
        expect(text).toBe(whole.text)
        expect(changed).toEqual(whole.node)
        expect(NodeFile.parse(changed)).toEqual(changed)
      }),
      {numRuns: 200},
    )
  })

  it('refuses a field with a bad value, an unknown field, and the removal of a required one', () => {
    const {node} = testNode('fam/a', 'pending')
    expect(() => nodeChange(node, {attempt: -1})).toThrow(InternalError)
    expect(() => nodeChange(node, {requires: ['not an id!']})).toThrow(InternalError)
    expect(() => nodeChange(node, {nonsense: 1} as never)).toThrow(/no field "nonsense"/)
    expect(() => nodeChange(node, {team: undefined})).toThrow(InternalError)
  })
})
