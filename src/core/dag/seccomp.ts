/**
 * The seccomp program bwrap loads into the sandbox (`--seccomp FD`): the
 * kernel's key management calls (`add_key`, `request_key`, `keyctl`) fail with
 * ENOSYS, everything else is allowed. Keyrings are not namespaced the way
 * files are: a session keyring is inherited from whoever started rigor (a
 * Docker container's, a systemd service's, a login's), so without this a run
 * could leave a key there for a later run to read. Flatpak and Docker's default
 * profile refuse the same three calls. A classic BPF program, written out here
 * because it is under twenty instructions and no maintained JavaScript package
 * builds one. The call numbers are the kernel's syscall tables
 * (arch/x86/entry/syscalls, arch/arm/tools, include/uapi/asm-generic).
 */
import {endianness} from 'node:os'

// linux/filter.h, linux/seccomp.h, linux/audit.h
const LD_W_ABS = 0x20
const JEQ_K = 0x15
const RET_K = 0x06
const RET_ALLOW = 0x7fff_0000
const RET_ERRNO = 0x0005_0000
const ENOSYS = 38
/** struct seccomp_data: `int nr` at 0, `__u32 arch` at 4 */
const NR_OFFSET = 0
const ARCH_OFFSET = 4

/** The audit arch of each ABI a process on this machine can make calls through, and its three key calls' numbers. */
export interface KeyCallsAbi {
  arch: number
  calls: number[]
}

// x32 calls are the x86-64 numbers with this bit set
const X32_BIT = 0x4000_0000

/** By Node's `process.arch`: the native ABI and the 32-bit one its kernel may also accept. */
const ABIS: Record<string, KeyCallsAbi[]> = {
  x64: [
    // AUDIT_ARCH_X86_64 (x32 shares it, with X32_BIT in nr)
    {arch: 0xc000_003e, calls: [248, 249, 250, X32_BIT | 248, X32_BIT | 249, X32_BIT | 250]},
    // AUDIT_ARCH_I386 (int 0x80)
    {arch: 0x4000_0003, calls: [286, 287, 288]},
  ],
  arm64: [
    // AUDIT_ARCH_AARCH64 (the generic numbers)
    {arch: 0xc000_00b7, calls: [217, 218, 219]},
    // AUDIT_ARCH_ARM (32-bit compat)
    {arch: 0x4000_0028, calls: [309, 310, 311]},
  ],
}

interface Instruction {
  code: number
  jt: number
  jf: number
  k: number
}

/**
 * The program for `arch` (Node's name), or undefined where rigor does not know
 * the call numbers: there the sandbox runs without it (README says so).
 */
export function keyringFilter(arch: string = process.arch, order: 'LE' | 'BE' = endianness()): Buffer | undefined {
  const abis = ABIS[arch]
  return abis ? encode(keyringProgram(abis), order) : undefined
}

/**
 * Per ABI: if the arch matches, compare nr with each key call (a match jumps to
 * the refusal at the end), otherwise fall through to the next ABI's test. An
 * arch none of them names is allowed: the kernel of this machine accepts no other.
 */
export function keyringProgram(abis: readonly KeyCallsAbi[]): Instruction[] {
  const program: Instruction[] = []
  // each ABI's block: load arch, test it, load nr, one test per call, allow
  const blockLength = (abi: KeyCallsAbi) => 4 + abi.calls.length
  const total = abis.reduce((sum, abi) => sum + blockLength(abi), 0) + 2
  const refuseAt = total - 1
  for (const abi of abis) {
    const start = program.length
    const next = start + blockLength(abi)
    program.push({code: LD_W_ABS, jt: 0, jf: 0, k: ARCH_OFFSET})
    program.push({code: JEQ_K, jt: 0, jf: next - (start + 2), k: abi.arch})
    program.push({code: LD_W_ABS, jt: 0, jf: 0, k: NR_OFFSET})
    for (const call of abi.calls) {
      const at = program.length
      program.push({code: JEQ_K, jt: refuseAt - (at + 1), jf: 0, k: call >>> 0})
    }
    program.push({code: RET_K, jt: 0, jf: 0, k: RET_ALLOW})
  }
  program.push({code: RET_K, jt: 0, jf: 0, k: RET_ALLOW})
  program.push({code: RET_K, jt: 0, jf: 0, k: RET_ERRNO | ENOSYS})
  for (const step of program) if (step.jt > 255 || step.jf > 255) throw new Error('seccomp program: a jump beyond 255')
  return program
}

/** struct sock_filter { __u16 code; __u8 jt; __u8 jf; __u32 k; }, in the machine's byte order */
function encode(program: Instruction[], order: 'LE' | 'BE'): Buffer {
  const bytes = Buffer.alloc(program.length * 8)
  program.forEach((step, i) => {
    const at = i * 8
    if (order === 'LE') bytes.writeUInt16LE(step.code, at)
    else bytes.writeUInt16BE(step.code, at)
    bytes.writeUInt8(step.jt, at + 2)
    bytes.writeUInt8(step.jf, at + 3)
    if (order === 'LE') bytes.writeUInt32LE(step.k, at + 4)
    else bytes.writeUInt32BE(step.k, at + 4)
  })
  return bytes
}

/** The decisions a seccomp return value stands for, for tests and messages. */
export const SECCOMP = {allow: RET_ALLOW, refuse: RET_ERRNO | ENOSYS} as const
