import {describe, expect, it} from 'vitest'
import {describeCheck, notifyMessage} from '../../src/core/flows/notify.js'

describe('notify: the message a person reads', () => {
  it('writes a rate that rounds to a whole number without a dangling point', () => {
    const check = {name: 'failed_audit_rate', value: 0.9996, threshold: 0.3, bound: 'max', ok: false} as const
    expect(describeCheck(check)).toBe('failed_audit_rate 1 > 0.3')
    expect(describeCheck({...check, value: 0.25, threshold: 2.0004, ok: true})).toBe('failed_audit_rate 0.25 <= 2')
    expect(notifyMessage({kind: 'health', crossed: [check]})).toBe('rigor health: 1 threshold(s) crossed: failed_audit_rate 1 > 0.3\n')
  })
})
