import {describe, expect, it} from 'vitest'
import {ALLOWED_FROM, IllegalTransitionError, transition, type TransitionInput} from '../../../src/core/dag/lifecycle.js'
import {NODE_STATUSES, type NodeFile, type NodeStatus} from '../../../src/core/schemas/index.js'
import {testNode} from '../../helpers/node-file.js'

const node = (status: NodeStatus, extra: Partial<NodeFile> = {}): NodeFile => testNode('a/b', status, extra).node

const now = new Date('2026-01-02T00:00:00.000Z')
const inputs: TransitionInput[] = [
  {kind: 'claim', worker: 'w', now, leaseMs: 60_000},
  {kind: 'renew', now, leaseMs: 60_000},
  {kind: 'release'},
  {kind: 'requeue', reason: 'lease expired'},
  {kind: 'expire', reason: 'last attempt'},
  {kind: 'finish', status: 'proven_accepted'},
  {kind: 'block', reason: 'requirement failed'},
  {kind: 'cancel', reason: 'by hand'},
  {kind: 'archive'},
  {kind: 'unarchive'},
]

describe('the node lifecycle', () => {
  it('allows each transition exactly from the states of its table, and refuses every other one', () => {
    for (const input of inputs) {
      for (const status of NODE_STATUSES) {
        const allowed = ALLOWED_FROM[input.kind].includes(status)
        if (allowed) expect(() => transition(node(status), input), `${input.kind} from ${status}`).not.toThrow()
        else expect(() => transition(node(status), input), `${input.kind} from ${status}`).toThrow(IllegalTransitionError)
      }
    }
  })

  it('claim counts an attempt and sets a lease; release gives it back; requeue keeps it', () => {
    const [, , claimed] = transition(node('pending', {attempt: 0}), {kind: 'claim', worker: 'w1', now, leaseMs: 60_000})
    expect(claimed).toMatchObject({status: 'running', worker: 'w1', attempt: 1, lease_until: '2026-01-02T00:01:00.000Z'})
    const [, , released] = transition(claimed, {kind: 'release'})
    expect(released).toMatchObject({status: 'pending', attempt: 0})
    expect(released.worker).toBeUndefined()
    const [, , requeued] = transition(claimed, {kind: 'requeue', reason: 'expired'})
    expect(requeued).toMatchObject({status: 'pending', attempt: 1, reason: 'expired'})
    const [, , finished] = transition(claimed, {kind: 'finish', status: 'proven_rejected', reason: 'gate'})
    expect(finished).toMatchObject({status: 'proven_rejected', reason: 'gate'})
    expect(finished.lease_until).toBeUndefined()
  })
})
