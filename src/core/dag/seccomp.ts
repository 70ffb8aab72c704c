/**
 * The seccomp program bwrap loads into the sandbox (`--seccomp FD`). It refuses
 * two things a runner could otherwise do from inside, and allows everything else:
 *
 * - Keys: the kernel's key management calls (`add_key`, `request_key`,
 *   `keyctl`) fail with ENOSYS. Keyrings are not namespaced the way files are:
 *   a session keyring is inherited from whoever started rigor (a Docker
 *   container's, a systemd service's, a login's), so a run could leave a key
 *   there for a later run to read.
 * - User namespaces: `clone` and `unshare` asking for CLONE_NEWUSER fail with
 *   EPERM. In a namespace of its own a runner is root with every capability
 *   (mounts, its own view of the files), and that is the usual road of kernel
 *   exploits. `clone3` fails with ENOSYS, as its flags lie behind a pointer a
 *   filter cannot read; glibc (2.34 on) and the other runtimes then make their
 *   threads and processes through `clone`.
 *
 * Flatpak and Docker's default profile refuse the same calls the same way. A
 * classic BPF program, written out here because it is a few dozen
 * instructions and no maintained JavaScript package builds one. The call
 * numbers are the kernel's syscall tables (arch/x86/entry/syscalls,
 * arch/arm/tools, include/uapi/asm-generic).
 */
import {endianness} from 'node:os'

// linux/filter.h, linux/seccomp.h, linux/audit.h
const LD_W_ABS = 0x20
const JEQ_K = 0x15
const JSET_K = 0x45
const RET_K = 0x06
const RET_ALLOW = 0x7fff_0000
const RET_ERRNO = 0x0005_0000
const EPERM = 1
const ENOSYS = 38
/** linux/sched.h */
const CLONE_NEWUSER = 0x1000_0000
/** struct seccomp_data: `int nr` at 0, `__u32 arch` at 4, `__u64 args[6]` from 16 */
const NR_OFFSET = 0
const ARCH_OFFSET = 4
const ARGS_OFFSET = 16

/** One ABI a process on this machine can make calls through: its audit arch and the numbers of the calls refused. */
export interface SyscallAbi {
  arch: number
  /** refused with ENOSYS: add_key, request_key, keyctl, clone3 */
  nosys: number[]
  /** refused with EPERM when their first argument (the flags) asks for CLONE_NEWUSER: clone, unshare */
  newUser: number[]
  /** refused with ENOSYS in a kept sandbox only (sandbox-slot.ts): mq_open, ioprio_set */
  keptOnly: number[]
}

// x32 calls are the x86-64 numbers with this bit set
const X32_BIT = 0x4000_0000
const x32 = (calls: number[]) => calls.map((nr) => X32_BIT | nr)

/** By Node's `process.arch`: the native ABI and the 32-bit one its kernel may also accept. */
const ABIS: Record<string, SyscallAbi[]> = {
  x64: [
    // AUDIT_ARCH_X86_64 (x32 shares it, with X32_BIT in nr)
    {
      arch: 0xc000_003e,
      nosys: [248, 249, 250, 435, ...x32([248, 249, 250, 435])],
      newUser: [56, 272, ...x32([56, 272])],
      keptOnly: [240, 251, ...x32([240, 251])],
    },
    // AUDIT_ARCH_I386 (int 0x80)
    {arch: 0x4000_0003, nosys: [286, 287, 288, 435], newUser: [120, 310], keptOnly: [277, 289]},
  ],
  arm64: [
    // AUDIT_ARCH_AARCH64 (the generic numbers)
    {arch: 0xc000_00b7, nosys: [217, 218, 219, 435], newUser: [220, 97], keptOnly: [180, 30]},
    // AUDIT_ARCH_ARM (32-bit compat)
    {arch: 0x4000_0028, nosys: [309, 310, 311, 435], newUser: [120, 337], keptOnly: [274, 314]},
  ],
}

interface Instruction {
  code: number
  jt: number
  jf: number
  k: number
}

/**
 * The program for `arch` (Node's name) in the machine's byte order, or
 * undefined where rigor does not know the call numbers: there the sandbox
 * runs without it (README says so).
 */
export function sandboxFilter(arch: string = process.arch, order: 'LE' | 'BE' = endianness(), kept = false): Buffer | undefined {
  const abis = ABIS[arch]
  return abis ? encode(sandboxProgram(kept ? abis.map(keptAbi) : abis, order), order) : undefined
}

/**
 * A kept sandbox's ABI: two stores more outlive a run there, since its IPC
 * namespace and its launcher live on. POSIX message queues (`mq_open`) are
 * not listed anywhere a launcher could look, and a runner could set the
 * launcher's I/O priority (`ioprio_set`, allowed on any process of its user)
 * for the runs after it, which nothing shows outside the kernel.
 */
function keptAbi(abi: SyscallAbi): SyscallAbi {
  return {...abi, nosys: [...abi.nosys, ...abi.keptOnly]}
}

/**
 * Per ABI: if the arch matches, compare nr with each refused call (a match
 * jumps to its refusal, or to the test of its flags, in the shared tail),
 * otherwise fall through to the next ABI's test. An arch none of them names is
 * allowed: the kernel of this machine accepts no other.
 */
export function sandboxProgram(abis: readonly SyscallAbi[], order: 'LE' | 'BE'): Instruction[] {
  const program: Instruction[] = []
  // each ABI's block: load arch, test it, load nr, one test per call, allow
  const blockLength = (abi: SyscallAbi) => 4 + abi.nosys.length + abi.newUser.length
  const blocks = abis.reduce((sum, abi) => sum + blockLength(abi), 0)
  // the tail: allow (no ABI matched), then the flags test (load, test, allow), then the two refusals
  const testFlagsAt = blocks + 1
  const refusePermAt = blocks + 4
  const refuseNosysAt = blocks + 5
  const jumpTo = (target: number) => target - (program.length + 1)
  for (const abi of abis) {
    const next = program.length + blockLength(abi)
    program.push({code: LD_W_ABS, jt: 0, jf: 0, k: ARCH_OFFSET})
    program.push({code: JEQ_K, jt: 0, jf: next - (program.length + 1), k: abi.arch})
    program.push({code: LD_W_ABS, jt: 0, jf: 0, k: NR_OFFSET})
    for (const call of abi.nosys) program.push({code: JEQ_K, jt: jumpTo(refuseNosysAt), jf: 0, k: call >>> 0})
    for (const call of abi.newUser) program.push({code: JEQ_K, jt: jumpTo(testFlagsAt), jf: 0, k: call >>> 0})
    program.push({code: RET_K, jt: 0, jf: 0, k: RET_ALLOW})
  }
  program.push({code: RET_K, jt: 0, jf: 0, k: RET_ALLOW})
  // the flags are an int (clone's unsigned long holds them in its low 32 bits): that word of args[0]
  program.push({code: LD_W_ABS, jt: 0, jf: 0, k: ARGS_OFFSET + (order === 'LE' ? 0 : 4)})
  program.push({code: JSET_K, jt: jumpTo(refusePermAt), jf: 0, k: CLONE_NEWUSER})
  program.push({code: RET_K, jt: 0, jf: 0, k: RET_ALLOW})
  program.push({code: RET_K, jt: 0, jf: 0, k: RET_ERRNO | EPERM})
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
export const SECCOMP = {allow: RET_ALLOW, nosys: RET_ERRNO | ENOSYS, perm: RET_ERRNO | EPERM, newUser: CLONE_NEWUSER} as const
