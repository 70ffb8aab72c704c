import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {keyringFilter, SECCOMP} from '../../src/core/dag/seccomp.js'

const ARCH = {x86_64: 0xc000_003e, i386: 0x4000_0003, aarch64: 0xc000_00b7, arm: 0x4000_0028, riscv64: 0xc000_00f3}
const X32 = 0x4000_0000

/**
 * The kernel's classic BPF, as much of it as a seccomp program may use here:
 * `ld [k]` of a 32-bit word of struct seccomp_data, `jeq #k`, `ret #k`. Anything
 * else, or a jump out of the program, fails the test (the kernel would refuse it).
 */
function run(program: Buffer, order: 'LE' | 'BE', data: {nr: number; arch: number}): number {
  expect(program.length % 8).toBe(0)
  const count = program.length / 8
  let acc = 0
  let pc = 0
  for (let steps = 0; steps <= count; steps++) {
    expect(pc).toBeLessThan(count)
    const at = pc * 8
    const code = order === 'LE' ? program.readUInt16LE(at) : program.readUInt16BE(at)
    const jt = program.readUInt8(at + 2)
    const jf = program.readUInt8(at + 3)
    const k = order === 'LE' ? program.readUInt32LE(at + 4) : program.readUInt32BE(at + 4)
    if (code === 0x20) {
      expect([0, 4]).toContain(k)
      acc = (k === 0 ? data.nr : data.arch) >>> 0
      pc += 1
    } else if (code === 0x15) pc += 1 + (acc === k ? jt : jf)
    else if (code === 0x06) return k
    else throw new Error(`unexpected instruction ${code.toString(16)}`)
  }
  throw new Error('the program did not return')
}

const refuse = SECCOMP.refuse
const allow = SECCOMP.allow

describe('the sandbox seccomp program (key calls refused)', () => {
  it('x86-64: add_key, request_key and keyctl refused through the 64-bit, x32 and i386 entries; nothing else', () => {
    for (const order of ['LE', 'BE'] as const) {
      const program = keyringFilter('x64', order)
      if (!program) throw new Error('no program for x64')
      for (const nr of [248, 249, 250]) {
        expect(run(program, order, {nr, arch: ARCH.x86_64})).toBe(refuse)
        expect(run(program, order, {nr: X32 | nr, arch: ARCH.x86_64})).toBe(refuse)
      }
      for (const nr of [286, 287, 288]) expect(run(program, order, {nr, arch: ARCH.i386})).toBe(refuse)
      // read, write, open, execve, clone, and the neighbours of the key calls
      for (const nr of [0, 1, 2, 59, 56, 247, 251, 286, 287, 288]) expect(run(program, order, {nr, arch: ARCH.x86_64})).toBe(allow)
      for (const nr of [3, 11, 248, 249, 250, 285, 289]) expect(run(program, order, {nr, arch: ARCH.i386})).toBe(allow)
    }
  })

  it('arm64: the generic numbers and the 32-bit compat ones', () => {
    const program = keyringFilter('arm64', 'LE')
    if (!program) throw new Error('no program for arm64')
    for (const nr of [217, 218, 219]) expect(run(program, 'LE', {nr, arch: ARCH.aarch64})).toBe(refuse)
    for (const nr of [309, 310, 311]) expect(run(program, 'LE', {nr, arch: ARCH.arm})).toBe(refuse)
    for (const nr of [63, 64, 216, 220, 248, 250]) expect(run(program, 'LE', {nr, arch: ARCH.aarch64})).toBe(allow)
    for (const nr of [217, 218, 219, 308, 312]) expect(run(program, 'LE', {nr, arch: ARCH.arm})).toBe(allow)
  })

  it('any other call through any ABI is allowed, and every path ends in a return', () => {
    const programs = {x64: keyringFilter('x64', 'LE'), arm64: keyringFilter('arm64', 'LE')}
    const refused: Record<string, Set<string>> = {
      x64: new Set(
        [248, 249, 250, X32 | 248, X32 | 249, X32 | 250]
          .map((nr) => `${ARCH.x86_64}:${nr}`)
          .concat([286, 287, 288].map((nr) => `${ARCH.i386}:${nr}`)),
      ),
      arm64: new Set([217, 218, 219].map((nr) => `${ARCH.aarch64}:${nr}`).concat([309, 310, 311].map((nr) => `${ARCH.arm}:${nr}`))),
    }
    fc.assert(
      fc.property(
        fc.constantFrom('x64' as const, 'arm64' as const),
        fc.constantFrom(...Object.values(ARCH)),
        fc.oneof(fc.integer({min: 0, max: 600}), fc.integer({min: X32, max: X32 + 600}), fc.nat()),
        (machine, arch, nr) => {
          const program = programs[machine]
          if (!program) throw new Error(`no program for ${machine}`)
          const expected = refused[machine]?.has(`${arch}:${nr}`) ? refuse : allow
          expect(run(program, 'LE', {nr, arch})).toBe(expected)
        },
      ),
    )
  })

  it('no program where rigor does not know the numbers: the sandbox runs without one', () => {
    expect(keyringFilter('ppc64', 'BE')).toBeUndefined()
    expect(keyringFilter('ia32', 'LE')).toBeUndefined()
  })
})
