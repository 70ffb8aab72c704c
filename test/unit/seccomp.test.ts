import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {SECCOMP, sandboxFilter} from '../../src/core/dag/seccomp.js'

const ARCH = {x86_64: 0xc000_003e, i386: 0x4000_0003, aarch64: 0xc000_00b7, arm: 0x4000_0028, riscv64: 0xc000_00f3}
const X32 = 0x4000_0000
const NEWUSER = SECCOMP.newUser
// other clone flags a thread or a process is made with: CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID, SIGCHLD
const THREAD_FLAGS = 0x003d_0f00
const FORK_FLAGS = 0x0120_0011

/** A call as the kernel hands it to the program: struct seccomp_data's nr, arch and the first argument. */
interface Call {
  nr: number
  arch: number
  /** args[0], a 64-bit value */
  flags?: bigint
}

/** struct seccomp_data laid out in `order`, as the kernel does for the program to load words from */
function seccompData(call: Call, order: 'LE' | 'BE'): Buffer {
  const data = Buffer.alloc(64)
  if (order === 'LE') {
    data.writeInt32LE(call.nr | 0, 0)
    data.writeUInt32LE(call.arch >>> 0, 4)
    data.writeBigUInt64LE(call.flags ?? 0n, 16)
  } else {
    data.writeInt32BE(call.nr | 0, 0)
    data.writeUInt32BE(call.arch >>> 0, 4)
    data.writeBigUInt64BE(call.flags ?? 0n, 16)
  }
  return data
}

/**
 * The kernel's classic BPF, as much of it as a seccomp program may use here:
 * `ld [k]` of an aligned 32-bit word of struct seccomp_data, `jeq #k`, `jset #k`,
 * `ret #k`. Anything else, or a jump out of the program, fails the test (the
 * kernel would refuse it).
 */
function run(program: Buffer, order: 'LE' | 'BE', call: Call): number {
  expect(program.length % 8).toBe(0)
  const data = seccompData(call, order)
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
      expect(k % 4).toBe(0)
      expect(k).toBeLessThan(64)
      acc = order === 'LE' ? data.readUInt32LE(k) : data.readUInt32BE(k)
      pc += 1
    } else if (code === 0x15) pc += 1 + (acc === k ? jt : jf)
    else if (code === 0x45) pc += 1 + ((acc & k) !== 0 ? jt : jf)
    else if (code === 0x06) return k
    else throw new Error(`unexpected instruction ${code.toString(16)}`)
  }
  throw new Error('the program did not return')
}

const {allow, nosys, perm} = SECCOMP

/** What each machine's program must refuse, by `${arch}:${nr}`: ENOSYS outright, or EPERM when the flags ask for a user namespace. */
const REFUSED = {
  x64: {
    nosys: [248, 249, 250, 435, X32 | 248, X32 | 249, X32 | 250, X32 | 435]
      .map((nr) => `${ARCH.x86_64}:${nr}`)
      .concat([286, 287, 288, 435].map((nr) => `${ARCH.i386}:${nr}`)),
    newUser: [56, 272, X32 | 56, X32 | 272].map((nr) => `${ARCH.x86_64}:${nr}`).concat([120, 310].map((nr) => `${ARCH.i386}:${nr}`)),
  },
  arm64: {
    nosys: [217, 218, 219, 435].map((nr) => `${ARCH.aarch64}:${nr}`).concat([309, 310, 311, 435].map((nr) => `${ARCH.arm}:${nr}`)),
    newUser: [220, 97].map((nr) => `${ARCH.aarch64}:${nr}`).concat([120, 337].map((nr) => `${ARCH.arm}:${nr}`)),
  },
}

/** What the program must answer for `call` on `machine`, from the tables above. */
function expected(machine: keyof typeof REFUSED, call: Call): number {
  const key = `${call.arch}:${call.nr}`
  if (REFUSED[machine].nosys.includes(key)) return nosys
  if (REFUSED[machine].newUser.includes(key) && ((call.flags ?? 0n) & BigInt(NEWUSER)) !== 0n) return perm
  return allow
}

function programFor(machine: string, order: 'LE' | 'BE'): Buffer {
  const program = sandboxFilter(machine, order)
  if (!program) throw new Error(`no program for ${machine}`)
  return program
}

describe('the sandbox seccomp program', () => {
  it('x86-64: the key calls and clone3 refused (ENOSYS) through the 64-bit, x32 and i386 entries', () => {
    for (const order of ['LE', 'BE'] as const) {
      const program = programFor('x64', order)
      for (const nr of [248, 249, 250, 435]) {
        expect(run(program, order, {nr, arch: ARCH.x86_64})).toBe(nosys)
        expect(run(program, order, {nr: X32 | nr, arch: ARCH.x86_64})).toBe(nosys)
      }
      for (const nr of [286, 287, 288, 435]) expect(run(program, order, {nr, arch: ARCH.i386})).toBe(nosys)
      // read, write, open, execve, fork, and the neighbours of the refused calls
      for (const nr of [0, 1, 2, 59, 57, 247, 251, 286, 287, 288, 434, 436])
        expect(run(program, order, {nr, arch: ARCH.x86_64})).toBe(allow)
      for (const nr of [3, 11, 248, 249, 250, 285, 289, 434]) expect(run(program, order, {nr, arch: ARCH.i386})).toBe(allow)
    }
  })

  it('x86-64: clone and unshare refused (EPERM) only when their flags ask for a user namespace', () => {
    for (const order of ['LE', 'BE'] as const) {
      const program = programFor('x64', order)
      const calls = [
        {arch: ARCH.x86_64, clone: 56, unshare: 272},
        {arch: ARCH.x86_64, clone: X32 | 56, unshare: X32 | 272},
        {arch: ARCH.i386, clone: 120, unshare: 310},
      ]
      for (const {arch, clone, unshare} of calls) {
        expect(run(program, order, {nr: clone, arch, flags: BigInt(NEWUSER)})).toBe(perm)
        expect(run(program, order, {nr: clone, arch, flags: BigInt(NEWUSER | FORK_FLAGS)})).toBe(perm)
        expect(run(program, order, {nr: unshare, arch, flags: BigInt(NEWUSER | 0x0002_0000)})).toBe(perm)
        // threads, processes, and namespaces other than the user one (refused by the kernel without capabilities anyway)
        expect(run(program, order, {nr: clone, arch, flags: BigInt(THREAD_FLAGS)})).toBe(allow)
        expect(run(program, order, {nr: clone, arch, flags: BigInt(FORK_FLAGS)})).toBe(allow)
        expect(run(program, order, {nr: unshare, arch, flags: 0x0002_0000n})).toBe(allow)
        // the flag in the upper half of a 64-bit argument is no flag the kernel reads
        expect(run(program, order, {nr: clone, arch, flags: BigInt(NEWUSER) << 32n})).toBe(allow)
      }
      // the same numbers through the other ABI are other calls: i386's 120 is x86-64's 120 (getpgid)
      expect(run(program, order, {nr: 120, arch: ARCH.x86_64, flags: BigInt(NEWUSER)})).toBe(allow)
      expect(run(program, order, {nr: 56, arch: ARCH.i386, flags: BigInt(NEWUSER)})).toBe(allow)
    }
  })

  it('arm64: the generic numbers and the 32-bit compat ones', () => {
    const program = programFor('arm64', 'LE')
    for (const nr of [217, 218, 219, 435]) expect(run(program, 'LE', {nr, arch: ARCH.aarch64})).toBe(nosys)
    for (const nr of [309, 310, 311, 435]) expect(run(program, 'LE', {nr, arch: ARCH.arm})).toBe(nosys)
    for (const nr of [220, 97]) expect(run(program, 'LE', {nr, arch: ARCH.aarch64, flags: BigInt(NEWUSER)})).toBe(perm)
    for (const nr of [120, 337]) expect(run(program, 'LE', {nr, arch: ARCH.arm, flags: BigInt(NEWUSER)})).toBe(perm)
    for (const nr of [220, 97]) expect(run(program, 'LE', {nr, arch: ARCH.aarch64, flags: BigInt(THREAD_FLAGS)})).toBe(allow)
    for (const nr of [63, 64, 216, 221, 248, 250]) expect(run(program, 'LE', {nr, arch: ARCH.aarch64})).toBe(allow)
    for (const nr of [217, 218, 219, 308, 312]) expect(run(program, 'LE', {nr, arch: ARCH.arm})).toBe(allow)
  })

  it('any call through any ABI gets exactly the answer the tables give, and every path ends in a return', () => {
    const programs = {x64: programFor('x64', 'LE'), arm64: programFor('arm64', 'LE')}
    const flagsArb = fc.oneof(
      fc.bigInt({min: 0n, max: (1n << 64n) - 1n}),
      fc.constantFrom(0n, BigInt(NEWUSER), BigInt(THREAD_FLAGS), BigInt(FORK_FLAGS), BigInt(NEWUSER | FORK_FLAGS)),
    )
    fc.assert(
      fc.property(
        fc.constantFrom('x64' as const, 'arm64' as const),
        fc.constantFrom(...Object.values(ARCH)),
        fc.oneof(fc.integer({min: 0, max: 600}), fc.integer({min: X32, max: X32 + 600}), fc.nat()),
        flagsArb,
        (machine, arch, nr, flags) => {
          const call = {nr, arch, flags}
          expect(run(programs[machine], 'LE', call)).toBe(expected(machine, call))
        },
      ),
    )
  })

  it('a kept sandbox: mq_open and ioprio_set refused too, through every entry, and nothing else more than a sandbox of its own', () => {
    const kept = {
      x64: [
        [ARCH.x86_64, [240, 251, X32 | 240, X32 | 251]],
        [ARCH.i386, [277, 289]],
      ],
      arm64: [
        [ARCH.aarch64, [180, 30]],
        [ARCH.arm, [274, 314]],
      ],
    } as const
    for (const machine of ['x64', 'arm64'] as const) {
      const own = programFor(machine, 'LE')
      const shared = sandboxFilter(machine, 'LE', true)!
      for (const [arch, calls] of kept[machine])
        for (const nr of calls) {
          expect(run(shared, 'LE', {nr, arch})).toBe(nosys)
          expect(run(own, 'LE', {nr, arch})).toBe(allow)
        }
      fc.assert(
        fc.property(
          fc.constantFrom(...Object.values(ARCH)),
          fc.integer({min: 0, max: 600}),
          fc.bigInt({min: 0n, max: (1n << 64n) - 1n}),
          (arch, nr, flags) => {
            const listed = kept[machine].some(([a, calls]) => a === arch && (calls as readonly number[]).includes(nr))
            const call = {nr, arch, flags}
            expect(run(shared, 'LE', call)).toBe(listed ? nosys : expected(machine, call))
          },
        ),
      )
    }
  })

  it('no program where rigor does not know the numbers: the sandbox runs without one', () => {
    expect(sandboxFilter('ppc64', 'BE')).toBeUndefined()
    expect(sandboxFilter('ia32', 'LE')).toBeUndefined()
  })
})
