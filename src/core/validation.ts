/**
 * The one place where everything a user or a runner hands in is checked before
 * it can reach a ref, a commit message, a trailer, a file path in a tree, or a
 * timer: node ids, branch names, worker and auditor names, output paths,
 * durations and sizes. Each check returns why a value is refused (or
 * undefined), so callers can turn it into an InputError naming the field, or
 * into a reason recorded in a verdict.
 */
import {isIP} from 'node:net'
import bytes from 'bytes'
import ms from 'ms'

// ---------------------------------------------------------------------------
// node ids

export const MAX_ID_DEPTH = 16
/** one id segment is one directory name: far below the 255 bytes file systems allow */
export const MAX_ID_SEGMENT_LENGTH = 128
/** experiments/<id>/out/<artifact> must stay well inside PATH_MAX on every clone */
export const MAX_ID_LENGTH = 512
const SEGMENT = /^[a-z0-9][a-z0-9._-]*$/
// names that live beside child directories inside experiments/<id>/
const RESERVED_SEGMENTS = new Set(['out', 'node.yaml', 'verdict.yaml'])

/** Why `id` is not a valid node id, or undefined when it is. */
export function nodeIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'string' || id.length === 0) return 'a node id must be a non-empty string'
  if (id.length > MAX_ID_LENGTH) return `"${id.slice(0, 40)}..." is ${id.length} characters long; a node id has at most ${MAX_ID_LENGTH}`
  if (id.startsWith('/')) return `"${id}" is an absolute path; node ids are relative lineage paths such as loss/sharpe-pf`
  const segments = id.split('/')
  if (segments.length > MAX_ID_DEPTH) return `"${id}" is ${segments.length} segments deep; at most ${MAX_ID_DEPTH} are allowed`
  for (const segment of segments) {
    if (segment === '') return `"${id}" has an empty segment (double or trailing slash)`
    if (segment === '.' || segment === '..') return `"${id}" contains "${segment}"; node ids may not walk the file system`
    if (segment.length > MAX_ID_SEGMENT_LENGTH)
      return `"${id.slice(0, 40)}...": segment "${segment.slice(0, 20)}..." is ${segment.length} characters long; at most ${MAX_ID_SEGMENT_LENGTH}`
    if (!SEGMENT.test(segment)) {
      return `"${id}": segment "${segment}" must match [a-z0-9][a-z0-9._-]* (lowercase letters, digits, ".", "_", "-")`
    }
    if (segment.endsWith('.lock')) return `"${id}": segment "${segment}" may not end in .lock (git reserves it)`
    if (RESERVED_SEGMENTS.has(segment)) return `"${id}": "${segment}" is reserved for rigor's own files and cannot be a segment`
  }
  return undefined
}

// ---------------------------------------------------------------------------
// names that reach refs, trailers and commit messages

/**
 * Why `name` is not a valid branch name by git's own rules (git check-ref-format
 * --branch), or undefined. A branch name is written into `update-ref --stdin`
 * and into push refspecs, so a newline or a space there would be a second command.
 */
export function branchNameProblem(name: unknown): string | undefined {
  return refNameProblem('branch', name, 'main, research/state')
}

/**
 * Why `name` cannot be a git remote's name, or undefined: a remote's name becomes
 * `refs/remotes/<name>/...` and reaches git's command line (`git push <name>`), so
 * it follows the branch rules; one that starts with "-" would be read as an option.
 */
export function remoteNameProblem(name: unknown): string | undefined {
  return refNameProblem('remote', name, 'origin, team')
}

function refNameProblem(kind: 'branch' | 'remote', name: unknown, examples: string): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return `a ${kind} name must be a non-empty string`
  if (name.length > 200) return `${kind} name "${printable(name.slice(0, 40))}..." is longer than 200 characters`
  if (name.startsWith('refs/')) return `"${printable(name)}" is a full ref; write the ${kind} name only (e.g. ${examples})`
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return `"${printable(name)}" contains a space, a control character or one of ~ ^ : ? * [ \\`
  const lookAlike = lookAlikeProblem(kind, name)
  if (lookAlike) return lookAlike
  if (name.startsWith('-')) return `"${name}" starts with "-"`
  if (name === '@' || name.includes('@{')) return `"${name}" is "@" or contains "@{"`
  if (name.includes('..')) return `"${name}" contains ".."`
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) return `"${name}" has an empty path component`
  if (name.endsWith('.')) return `"${name}" ends with "."`
  for (const part of name.split('/')) {
    if (part.startsWith('.')) return `"${name}": component "${part}" starts with "."`
    if (part.endsWith('.lock')) return `"${name}": component "${part}" ends with ".lock"`
  }
  return undefined
}

export const MAX_NAME_LENGTH = 128
const NAME = /^[A-Za-z0-9][A-Za-z0-9@._:+-]*$/

/**
 * Why a worker name (also `--worker`, `RIGOR_WORKER`, `--by`) cannot be used, or
 * undefined. Names are written into `Rigor-Worker:` trailers and node files: one
 * line, no spaces, nothing a log reader could take for another trailer.
 */
export function workerNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'a worker name must be a non-empty string'
  if (name.length > MAX_NAME_LENGTH) return `worker name "${name.slice(0, 40)}..." is longer than ${MAX_NAME_LENGTH} characters`
  if (!NAME.test(name))
    return `worker name "${printable(name)}" may hold only letters, digits and @ . _ : + - (no spaces, no line breaks), starting with a letter or digit`
  return undefined
}

/**
 * A worker name made from text rigor did not choose (a program's file name, a
 * user name): every character a name may not hold becomes "_", and it is cut to
 * the limit, so that it can go into a `Rigor-Worker:` trailer whatever it was.
 */
export function workerNameFrom(text: string, prefix = ''): string {
  const name = `${prefix}${text.replace(/[^A-Za-z0-9@._:+-]/gu, '_')}`
  // a name starts with a letter or a digit
  return (/^[A-Za-z0-9]/.test(name) ? name : `x${name}`).slice(0, MAX_NAME_LENGTH)
}

/**
 * `RIGOR_KEPT_SANDBOX`: unset, empty or `on` keeps a sandbox per slot, `off` starts one a run. Any other value
 * is a problem: a `0` or `false` meant as off would otherwise keep them without a word.
 */
export function keptSandboxProblem(value: string | undefined): string | undefined {
  if (value === undefined || value === '' || value === 'on' || value === 'off') return undefined
  return `${JSON.stringify(value)} is neither on nor off`
}

/**
 * Why OTEL_EXPORTER_OTLP_ENDPOINT cannot be where telemetry goes, or undefined: an
 * http(s) URL. The SDK reads anything else as its default (localhost:4318), so a
 * typo would send the spans there and the warning would blame a refused connection.
 */
export function otlpEndpointProblem(endpoint: string): string | undefined {
  let url: URL
  try {
    url = new URL(endpoint.trim())
  } catch {
    return `OTEL_EXPORTER_OTLP_ENDPOINT ${quoted(endpoint)} is not a URL`
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `OTEL_EXPORTER_OTLP_ENDPOINT ${quoted(endpoint)} is not an http or https URL`
  return undefined
}

/** The address a server listens on: an IP address (v4 or v6) or a host name, nothing that could carry more. */
export function listenHostProblem(host: unknown): string | undefined {
  if (typeof host !== 'string' || host.length === 0) return 'a host must be a non-empty string'
  if (isIP(host) !== 0) return undefined
  if (host.length > 253 || !/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(host))
    return `"${printable(host.slice(0, 60))}" is neither an IP address nor a host name`
  return undefined
}

/** Team and auditor names: lowercase like node id segments. */
export function lowerNameProblem(kind: string, name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return `a ${kind} name must be a non-empty string`
  if (name.length > 64) return `${kind} name "${name.slice(0, 40)}..." is longer than 64 characters`
  if (!SEGMENT.test(name))
    return `${kind} name "${printable(name)}" must be lowercase letters, digits, ".", "_" or "-", starting with a letter or digit`
  return undefined
}

const SSH_PUBLIC_KEY =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\n]*)?$/

/** Why `key` is not an SSH public key line ("ssh-ed25519 AAAA... comment"), or undefined. */
export function sshPublicKeyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string' || !SSH_PUBLIC_KEY.test(key.trim()))
    return 'must be an SSH public key such as "ssh-ed25519 AAAAC3Nz... alice@lab" (the line of a .pub file)'
  return undefined
}

/**
 * Why a value cannot go on one line of a commit message (a subject or a trailer
 * value), or undefined: a line break would start a forged trailer.
 */
export function singleLineProblem(value: string, maxLength = 1000): string | undefined {
  if (/[\x00-\x08\x0a-\x1f\x7f\u2028\u2029]/.test(value)) return `"${printable(value)}" contains a line break or a control character`
  if (value.length > maxLength) return `"${value.slice(0, 40)}..." is longer than ${maxLength} characters`
  return undefined
}

/**
 * Why a name written in rigor.yaml that rigor prints and records (a gate's, a rule's)
 * cannot be one, or undefined: one line of at most 200 characters, without control
 * characters or bidirectional overrides, which would forge a line of `rigor work`'s
 * output or a verdict's reason, or show it in another order than it is stored.
 */
export function labelProblem(value: string): string | undefined {
  if (value.trim() === '') return 'a name must not be empty'
  if (controlsEscaped(value) !== value) return `${quoted(value)} contains a line break, a control character or a bidirectional override`
  if (value.length > 200) return `"${value.slice(0, 40)}..." is longer than 200 characters`
  return undefined
}

// ---------------------------------------------------------------------------
// what reaches a process rigor starts: argv words and environment variables

/**
 * Why `word` cannot be one word of a command's argv (the program or one
 * argument), or undefined. The kernel ends a word at a NUL byte, and Node
 * refuses to start such a process at all.
 */
export function argvWordProblem(word: string): string | undefined {
  if (word.includes('\0')) return `"${printable(word)}" contains a NUL byte, which no program's argv can hold`
  return undefined
}

/**
 * Why `name` cannot name an environment variable of a process rigor starts, or
 * undefined: an environment entry is one `NAME=value` string ended by a NUL.
 */
export function envNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'an environment variable needs a name'
  if (name.includes('\0')) return `"${printable(name)}" contains a NUL byte, which no environment can hold`
  if (name.includes('=')) return `"${printable(name)}" contains "=", which would end the variable's name`
  return undefined
}

/** Why `value` cannot be an environment variable's value, or undefined: a NUL byte would end it. */
export function envValueProblem(value: string): string | undefined {
  if (value.includes('\0')) return `"${printable(value)}" contains a NUL byte, which no environment can hold`
  return undefined
}

/**
 * Why a name a runner gives a metric (a key of verdict.json's `metrics`) cannot
 * be kept, or undefined. `__proto__` is no plain key in JavaScript (nor in the
 * conditions that read metrics), and a control character (a line break, NUL)
 * does not belong in a name that verdict.yaml, tables and messages show.
 */
export function metricNameProblem(name: string): string | undefined {
  if (name === '__proto__') return 'the name "__proto__" is refused (it is not a plain key in JavaScript)'
  if (/[\x00-\x1f\x7f-\x9f\u2028\u2029]/.test(name)) return 'a control character (such as a line break or NUL) in a metric name'
  return lookAlikeProblem('metric', name)
}

// characters that show as nothing (zero-width spaces and joiners, the byte order mark, variation selectors), format
// characters (bidirectional marks and overrides) and spaces other than the plain one
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}\p{Zs}]/u

/**
 * Why `name` would show as another name, or undefined: "sharpe" followed by a zero-width space is printed, in a
 * table, a site or a ref, exactly as "sharpe" is, so two rows would both read "sharpe". Refused: a character that
 * shows as nothing or as a plain space (other than U+0020 inside the name), and a space at either end.
 */
export function lookAlikeProblem(kind: string, name: string): string | undefined {
  for (const char of name) {
    if (char !== ' ' && INVISIBLE.test(char)) {
      const code = `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`
      return `${kind} name "${invisibleEscaped(name)}" holds ${code}, an invisible or format character: it would show as another name`
    }
  }
  if (name.trim() !== name) return `${kind} name "${invisibleEscaped(name)}" starts or ends with a space: it would show as another name`
  return undefined
}

/** `name` as printable() writes it, with every invisible character as its \u escape too: what a message shows of a name. */
export function invisibleEscaped(name: string): string {
  return [...printable(name)]
    .map((char) => (char !== ' ' && INVISIBLE.test(char) ? `\\u{${char.codePointAt(0)!.toString(16)}}` : char))
    .join('')
}

// ---------------------------------------------------------------------------
// what `rigor init --github` writes into the workflow and CODEOWNERS

/** `github.install`'s word for "the workspace's own devDependency, installed by npm ci". */
export const INSTALL_FROM_PACKAGE_JSON = 'package.json'
// a URL or path as npm takes it, and nothing a YAML string or a shell word could misread
const INSTALL_SPEC_CHARS = /^[A-Za-z0-9._~:/#%+=@-]+$/
const FULL_COMMIT = /^[0-9a-f]{40}([0-9a-f]{24})?$/
const TARBALL = /\.(tgz|tar\.gz)$/

/**
 * Why `spec` cannot be how CI installs rigor (`github.install`, `--install`), or
 * undefined. Only sources whose content is fixed are accepted: a git URL pinned
 * to a full commit, a tarball URL, a tarball committed in the workspace, or
 * `package.json` (the devDependency its lockfile pins). A registry name is not:
 * rigor is not published, and anyone could publish the name.
 */
export function installSpecProblem(spec: unknown): string | undefined {
  const forms =
    'git+https://<host>/<owner>/<repo>.git#<full commit sha>, https://<host>/<file>.tgz, ./<path in this repository>.tgz, or package.json'
  if (typeof spec !== 'string' || spec.length === 0) return `must be one of ${forms}`
  if (spec === INSTALL_FROM_PACKAGE_JSON) return undefined
  if (spec.length > 500) return `"${spec.slice(0, 40)}..." is longer than 500 characters`
  if (!INSTALL_SPEC_CHARS.test(spec))
    return `"${printable(spec)}" may hold only letters, digits and . _ ~ : / # % + = @ - (no spaces, quotes or $)`
  if (spec.startsWith('./')) {
    const problem = workspacePathProblem(spec.slice(2))
    if (problem) return problem
    return TARBALL.test(spec)
      ? undefined
      : `"${spec}" is not a tarball (.tgz): make one with \`npm pack\` in rigor's checkout and commit it here`
  }
  const url = spec.startsWith('git+https://') ? spec.slice('git+'.length) : spec.startsWith('https://') ? spec : undefined
  if (url === undefined) {
    return `"${spec}" is neither a pinned git URL nor a tarball: registry names (rigor-research@0.1.0), git+ssh and file paths outside the repository cannot be installed by CI safely; use ${forms}`
  }
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return `"${spec}" is not a URL`
  }
  if (parsed.username || parsed.password)
    return `"${printable(spec)}" holds credentials: a workflow file is readable by everyone who can read the repository`
  if (spec.startsWith('git+')) {
    const commit = parsed.hash.slice(1)
    return FULL_COMMIT.test(commit)
      ? undefined
      : `"${spec}" is not pinned to a full commit: end it with #<the 40 hex digits of the commit> (a branch or tag can move)`
  }
  if (parsed.hash || parsed.search) return `"${spec}" has a query or a #fragment; a tarball URL is the file's address only`
  return TARBALL.test(parsed.pathname) ? undefined : `"${spec}" does not name a tarball (.tgz or .tar.gz)`
}

/**
 * Why `handle` cannot be a code owner in .github/CODEOWNERS, or undefined: a
 * GitHub user (@alice) or team (@org/auditors).
 */
export function githubHandleProblem(handle: unknown): string | undefined {
  if (typeof handle !== 'string' || handle.length === 0) return 'a reviewer must be a GitHub handle such as @alice or @org/auditors'
  if (!handle.startsWith('@')) return `"${printable(handle)}" must start with @ (@alice, @org/auditors)`
  const [user, team, ...more] = handle.slice(1).split('/')
  // GitHub's own rules: a user or organisation has at most 39 letters, digits and single inner hyphens
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/.test(user!))
    return `"${printable(handle)}" is not a GitHub user or organisation name`
  if (more.length > 0 || (team !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(team)))
    return `"${printable(handle)}" is not a GitHub team (@org/team-slug)`
  return undefined
}

// ---------------------------------------------------------------------------
// output paths a runner writes

/** Path lengths that every clone can check out: a component is one file name, the whole path sits under the workspace. */
export const MAX_OUTPUT_COMPONENT_BYTES = 255
export const MAX_OUTPUT_PATH_BYTES = 1024
// code points HFS+ ignores when it compares names: ".git\u200c" is ".git" on a Mac
const HFS_IGNORABLE = /[\u200b-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$/i
const WINDOWS_FORBIDDEN = /[<>:"|?*\\]/

/**
 * Why a runner's output path (relative to RIGOR_OUT, slash-separated) cannot be
 * committed, or undefined. Refuses every component git's own verify_path refuses
 * (`.git` and its NTFS and HFS spellings such as `.GIT`, `.git.`, `git~1`,
 * `.git\u200c`), names git gives meaning to (`.gitattributes`, `.gitignore`,
 * `.gitmodules`), names Windows cannot hold, control characters, and lengths
 * that some clone's file system would refuse.
 */
export function outputPathProblem(path: string): string | undefined {
  if (path.length === 0) return 'the path is empty'
  if (Buffer.byteLength(path) > MAX_OUTPUT_PATH_BYTES) return `the path is longer than ${MAX_OUTPUT_PATH_BYTES} bytes`
  if (path.startsWith('/')) return 'the path is absolute'
  for (const part of path.split('/')) {
    const problem = outputComponentProblem(part)
    if (problem) return `"${printable(part)}": ${problem}`
  }
  return undefined
}

function outputComponentProblem(part: string): string | undefined {
  if (part === '' || part === '.' || part === '..') return 'empty, "." or ".." path component'
  if (Buffer.byteLength(part) > MAX_OUTPUT_COMPONENT_BYTES) return `a file name longer than ${MAX_OUTPUT_COMPONENT_BYTES} bytes`
  if (/[\x00-\x1f\x7f]/.test(part)) return 'a control character (such as a line break) in a file name'
  if (part.includes('\ufffd')) return 'a file name that is not valid UTF-8'
  if (WINDOWS_FORBIDDEN.test(part)) return 'one of < > : " | ? * \\ in a file name (refused by git on NTFS)'
  // NTFS drops trailing dots and spaces, HFS ignores some code points, both ignore case
  const folded = part
    .replace(HFS_IGNORABLE, '')
    .replace(/[. ]+$/, '')
    .toLowerCase()
  if (folded === '.git' || folded.startsWith('.git')) return 'git refuses or interprets names beginning with .git (in any case or spelling)'
  // NTFS 8.3 short names of .git, .gitmodules, .gitattributes (git~1, gitmod~1, gi7eba~1): git and fsck read them as those files
  if (/^gi[a-z0-9]{0,4}~\d+$/.test(folded)) return 'an NTFS short name such as git~1 (git reads it as .git, .gitmodules or .gitattributes)'
  if (/[. ]$/.test(part)) return 'a file name ending in "." or " " (NTFS drops them)'
  if (WINDOWS_DEVICE.test(part)) return 'a Windows device name'
  return undefined
}

/**
 * Why a path a user names inside the workspace (a node's `data:`) is unusable, or
 * undefined: relative, slash-separated, without "." or ".." steps, outside .git.
 */
export function workspacePathProblem(path: unknown): string | undefined {
  if (typeof path !== 'string' || path.length === 0) return 'the path must be a non-empty string'
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path))
    return `"${printable(path)}" is absolute; write it relative to the workspace root, e.g. data/prices.csv`
  if (path.includes('\\')) return `"${printable(path)}" uses backslashes; write / between folders`
  if (/[\x00-\x1f\x7f]/.test(path)) return `"${printable(path)}" contains a control character`
  if (Buffer.byteLength(path) > MAX_OUTPUT_PATH_BYTES) return `the path is longer than ${MAX_OUTPUT_PATH_BYTES} bytes`
  for (const part of path.split('/')) {
    if (part === '' || part === '.' || part === '..')
      return `"${printable(path)}" has an empty, "." or ".." step; it must name a file inside the workspace`
    if (part.toLowerCase() === '.git') return `"${printable(path)}" points into .git`
  }
  return undefined
}

/**
 * Why a path a verdict records for a run's output (`out/...`, or relative to
 * the upstream's out/) could lead outside it, or undefined. rigor writes staged
 * inputs and stored artifacts to these paths on the host: a verdict committed
 * by hand must not steer them elsewhere.
 */
export function recordedOutputPathProblem(path: unknown): string | undefined {
  if (typeof path !== 'string' || path.length === 0) return 'the path must be a non-empty string'
  if (path.startsWith('/')) return `"${printable(path)}" is absolute; a run's output path is relative to its out/`
  if (/[\x00-\x1f\x7f\\]/.test(path)) return `"${printable(path)}" contains a control character or a backslash`
  for (const part of path.split('/'))
    if (part === '' || part === '.' || part === '..')
      return `"${printable(path)}" has an empty, "." or ".." step; a run's output path stays inside its out/`
  return undefined
}

/**
 * Pairs [earlier, later] of paths that cannot both exist on a case-insensitive
 * file system (macOS, Windows): they, or one of their directories, differ only
 * in case, in Unicode normalisation or in code points HFS+ ignores (`A/x` and
 * `a/y` collide in their directory). Pass the paths in a fixed order: the later
 * one of each pair is the one to leave out.
 */
export function caseCollisions(paths: readonly string[]): Array<[string, string]> {
  // folded directory or file path -> the first full path that used it, and how that path spelled it
  const seen = new Map<string, {spelled: string; path: string}>()
  const collisions: Array<[string, string]> = []
  for (const path of paths) {
    const parts = path.split('/')
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join('/')
      const key = foldName(prefix)
      const earlier = seen.get(key)
      if (earlier === undefined) seen.set(key, {spelled: prefix, path})
      else if (earlier.spelled !== prefix) {
        collisions.push([earlier.path, path])
        break
      }
    }
  }
  return collisions
}

/** How a case-insensitive, normalising file system sees a name. */
const foldName = (name: string): string => name.normalize('NFC').replace(HFS_IGNORABLE, '').toLowerCase()

/** A file name's bytes as text, or why it cannot be one: git paths in rigor are UTF-8. */
export function decodeOutputName(name: Uint8Array): Parsed<string> {
  try {
    return {ok: true, value: new TextDecoder('utf-8', {fatal: true, ignoreBOM: true}).decode(name)}
  } catch {
    return {ok: false, problem: 'a file name that is not valid UTF-8'}
  }
}

// ---------------------------------------------------------------------------
// what `rigor slurm submit` writes into a job script (docs/slurm.md)

/**
 * The longest time limit rigor asks Slurm for: a year (365-00:00:00). Slurm keeps a limit in minutes in 32 bits and
 * reads one it cannot hold (99999999999999999999) as no limit at all; no partition allows a task anywhere near a year.
 */
export const MAX_SLURM_TIME_SECONDS = 365 * 86_400

/**
 * Seconds in a Slurm time limit as sbatch reads --time: minutes, minutes:seconds,
 * hours:minutes:seconds, days-hours, days-hours:minutes or days-hours:minutes:seconds;
 * not zero, at most MAX_SLURM_TIME_SECONDS.
 */
export function parseSlurmTime(value: unknown): Parsed<number> {
  const hint = 'write HH:MM:SS (e.g. 02:00:00), MM, MM:SS, D-HH, D-HH:MM or D-HH:MM:SS, as sbatch --time reads it'
  if (typeof value !== 'string' || value.length > 20)
    return {ok: false, problem: `${JSON.stringify(value) ?? String(value)} is not a time limit; ${hint}`}
  const forms: Array<[RegExp, (n: number[]) => number]> = [
    [/^(\d+)$/, ([m]) => m! * 60],
    [/^(\d+):(\d+)$/, ([m, s]) => m! * 60 + s!],
    [/^(\d+):(\d+):(\d+)$/, ([h, m, s]) => h! * 3600 + m! * 60 + s!],
    [/^(\d+)-(\d+)$/, ([d, h]) => d! * 86400 + h! * 3600],
    [/^(\d+)-(\d+):(\d+)$/, ([d, h, m]) => d! * 86400 + h! * 3600 + m! * 60],
    [/^(\d+)-(\d+):(\d+):(\d+)$/, ([d, h, m, s]) => d! * 86400 + h! * 3600 + m! * 60 + s!],
  ]
  for (const [pattern, seconds] of forms) {
    const match = pattern.exec(value)
    if (!match) continue
    const total = seconds(match.slice(1).map(Number))
    if (total > MAX_SLURM_TIME_SECONDS)
      return {ok: false, problem: `"${value}" is longer than the most rigor takes, 365 days (365-00:00:00); ${hint}`}
    return total > 0 ? {ok: true, value: total} : {ok: false, problem: `"${value}" is no time at all; ${hint}`}
  }
  return {ok: false, problem: `"${printable(value)}" is not a time limit; ${hint}`}
}

const SLURM_NAME = /^[A-Za-z0-9_.-]{1,64}$/

/** Why `value` cannot be given to sbatch --partition (one name, or a comma-separated list), or undefined. */
export function slurmPartitionProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return 'a partition must be a non-empty string such as gpu or short,long'
  if (value.length > 256 || !value.split(',').every((name) => SLURM_NAME.test(name)))
    return `"${printable(value)}" is not a partition name: letters, digits, "_", "." and "-", several separated by commas`
  return undefined
}

/** Why `value` cannot be given to sbatch --mem (megabytes, or a number with K, M, G or T), or undefined. */
export function slurmMemoryProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || !/^\d{1,9}[KMGT]?$/.test(value))
    return `${JSON.stringify(value) ?? String(value)} is not a memory size for sbatch --mem: write megabytes (4000) or a number with K, M, G or T (16G)`
  return undefined
}

/** Why `name` cannot follow `module load` in a job script (names such as python/3.11 or gcc-12.2.0), or undefined. */
export function moduleNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._+/-]{0,127}$/.test(name))
    return `${JSON.stringify(name) ?? String(name)} is not a module name: letters, digits and . _ + / -, such as python/3.11`
  return undefined
}

/**
 * Why `option` cannot be an extra `#SBATCH` line, or undefined: one long option,
 * `--name` or `--name=value`, whose value holds nothing sbatch or a shell could
 * read as a second word (e.g. --account=lab-a, --qos=normal, --gres=gpu:1).
 */
export function sbatchOptionProblem(option: unknown): string | undefined {
  if (typeof option !== 'string' || !/^--[a-z][a-z-]{0,40}(=[A-Za-z0-9_.,:@%+/=-]{1,200})?$/.test(option))
    return `${JSON.stringify(option) ?? String(option)} is not one sbatch option: write --name=value (letters, digits and _ . , : @ % + / = - in the value), e.g. --account=lab-a`
  // sbatch takes any unambiguous prefix of a long option (--outp is --output), and of two lines the last
  const name = option.slice(2).split('=')[0]!
  const reserved = SBATCH_RESERVED.find(([full]) => full.startsWith(name))
  if (reserved) {
    const [full, field] = reserved
    const which = full === name ? `--${name}` : `--${name} is --${full}, which`
    return field
      ? `${which} is set by rigor from rigor.yaml's slurm.${field} (or the flag --${full}): give it there, where rigor checks it`
      : `${which} is set by rigor itself and cannot be given again`
  }
  return undefined
}

/** The sbatch options rigor writes itself, and the slurm: field (if any) each comes from. */
const SBATCH_RESERVED: ReadonlyArray<readonly [string, string?]> = [
  ['array'],
  ['signal'],
  ['output'],
  ['error'],
  ['wrap'],
  ['export'],
  ['chdir'],
  ['job-name'],
  ['parsable'],
  ['open-mode'],
  ['time', 'time'],
  ['partition', 'partition'],
  ['cpus-per-task', 'cpus_per_task'],
  ['mem', 'mem'],
]

/** Why `path` cannot be where a job clones the workspace (an absolute directory on the compute node), or undefined. */
export function scratchPathProblem(path: unknown): string | undefined {
  if (typeof path !== 'string' || !path.startsWith('/'))
    return `${JSON.stringify(path) ?? String(path)} is not an absolute path such as /local/scratch`
  if (path.length > 1024 || /[\x00-\x1f\x7f]/.test(path))
    return `"${printable(path)}" contains a control character or is longer than 1024 characters`
  return undefined
}

// ---------------------------------------------------------------------------
// dates and times

/**
 * Milliseconds since 1970 of an ISO 8601 date or time, or NaN. Date.parse alone
 * reads a day the month does not have into the next month (2026-02-30 is March 2nd,
 * 2025-04-31 is May 1st): a date that starts YYYY-MM-DD must name a day of the calendar.
 */
export function isoTimeMillis(text: string): number {
  const date = /^(\d{4})-(\d{2})-(\d{2})/.exec(text)
  if (date && !isCalendarDay(Number(date[1]), Number(date[2]), Number(date[3]))) return Number.NaN
  return Date.parse(text)
}

/**
 * Milliseconds since 1970 of an ISO 8601 date-time with its zone (what `toISOString`
 * writes: 2025-03-01T17:00:00.000Z; also 17:00Z and +01:00 or +0100 offsets), or NaN.
 * Date.parse alone takes much else: "1" is 2001, "2025-01-01" a day, "Tue, 01 Jan 2025".
 */
export function zonedTimeMillis(text: string): number {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text)) return Number.NaN
  return isoTimeMillis(text)
}

/** Whether day `day` of month `month` (1-12) of `year` is on the calendar (no 2026-02-29, no 2025-04-31). */
export function isCalendarDay(year: number, month: number, day: number): boolean {
  const back = new Date(Date.UTC(year, month - 1, day))
  return back.getUTCFullYear() === year && back.getUTCMonth() === month - 1 && back.getUTCDate() === day
}

/** A UTC day written YYYY-MM-DD (`rigor report --date`), one the calendar has. */
export function utcDateProblem(value: string): string | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(isoTimeMillis(`${value}T00:00:00Z`))) return undefined
  return `"${printable(value)}" is not a date`
}

/**
 * A time to stop at, as `rigor work --stop-at` takes it: an ISO 8601 time with
 * its zone (2025-03-01T17:00:00Z) or @<seconds since 1970> (what a job script
 * computes from Slurm's end time).
 */
export function parseStopTime(value: string): Parsed<Date> {
  const hint = 'write an ISO 8601 time with its zone (2025-03-01T17:00:00Z) or @<seconds since 1970> (@1740848400)'
  const epoch = /^@(\d{1,12})$/.exec(value)
  const millis = epoch ? Number(epoch[1]) * 1000 : zonedTimeMillis(value)
  if (!Number.isFinite(millis)) return {ok: false, problem: `"${printable(value)}" is not a time; ${hint}`}
  return {ok: true, value: new Date(millis)}
}

// ---------------------------------------------------------------------------
// durations and sizes

/** The most slots one worker runs at once (`work`/`cycle --parallel`, `slurm.parallel`, `slurm submit --parallel`). */
export const MAX_WORKER_SLOTS = 256

/** setTimeout holds at most 2^31-1 ms (24.8 days); a longer timer fires at once. */
export const MAX_DURATION_MS = 2 ** 31 - 1

export type Parsed<T> = {ok: true; value: T} | {ok: false; problem: string}

/** A value as a message shows it: JSON, but a number as JavaScript writes it (JSON writes infinity as null). */
const shownValue = (value: unknown): string => (typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value)))

/**
 * A duration as seconds (a number, or a string of one) or a string such as "90s",
 * "10m", "2h", "3d", in milliseconds: positive, finite, at most 24 days.
 */
export function parseDuration(value: unknown): Parsed<number> {
  const hint = 'write seconds, or a string such as 90s, 10m, 2h, 3d'
  let millis: number | undefined
  if (typeof value === 'number') millis = value * 1000
  else if (typeof value === 'string' && value.trim() !== '') {
    const text = value.trim()
    // a bare number is seconds however it is written (a quoted "90" in YAML, a flag's value): ms() read it as milliseconds
    millis = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : (ms(text as ms.StringValue) as number | undefined)
  } else return {ok: false, problem: `${shownValue(value)} is not a duration; ${hint}`}
  if (typeof millis !== 'number' || !Number.isFinite(millis)) return {ok: false, problem: `"${value}" is not a duration; ${hint}`}
  if (millis < 1) return {ok: false, problem: `"${value}" is not a positive duration of at least 1ms; ${hint}`}
  if (millis > MAX_DURATION_MS) return {ok: false, problem: `"${value}" is longer than the limit of 24d`}
  return {ok: true, value: Math.round(millis)}
}

/**
 * A number as written on a command line, in decimal: an integer as digits with an optional minus (`12`, `-3`), exactly
 * representable; any other number also with a fraction and an exponent (`0.5`, `1e-3`). JavaScript's Number() also
 * takes `0x10`, `0b11`, `0o7`, `Infinity` and, for an integer, `1e1` or `2.0`: none of them is how a count is written.
 */
export function parseDecimal(text: string, integer: boolean): Parsed<number> {
  const trimmed = text.trim()
  const written = integer ? /^-?\d+$/.test(trimmed) : /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(trimmed)
  const value = written ? Number(trimmed) : Number.NaN
  // written as a number, but past what a double holds (1e400) or counts exactly (2^53 and more)
  if (written && (integer ? !Number.isSafeInteger(value) : !Number.isFinite(value)))
    return {ok: false, problem: `"${text}" is too large: at most ${integer ? Number.MAX_SAFE_INTEGER : Number.MAX_VALUE} in magnitude`}
  if (!written) return {ok: false, problem: `"${text}" is not ${integer ? 'a whole number in decimal digits' : 'a decimal number'}`}
  return {ok: true, value}
}

/** A time of day, "HH:MM" on the 24-hour clock (03:17, 23:05), as hour and minute; for schedules. */
export function parseClockTime(value: unknown): Parsed<{hour: number; minute: number}> {
  const match = typeof value === 'string' ? /^([01]\d|2[0-3]):([0-5]\d)$/.exec(value.trim()) : null
  if (!match)
    return {
      ok: false,
      problem: `${JSON.stringify(value) ?? String(value)} is not a time of day; write HH:MM on the 24-hour clock, e.g. 03:17`,
    }
  return {ok: true, value: {hour: Number(match[1]), minute: Number(match[2])}}
}

const SIZE_TEXT = /^\s*\d+(\.\d+)?\s*(b|kb|mb|gb|tb|pb)?\s*$/i

/** A size in bytes from a number of bytes or a string such as "64KB", "50MB", "1GB" (binary units, as the bytes package reads them). */
export function parseSize(value: unknown): Parsed<number> {
  const hint = 'write bytes, or a string such as 64KB, 50MB, 1GB (units B, KB, MB, GB, TB, PB; 1KB = 1024 bytes)'
  // the whole string, not bytes.parse's leading number alone: it read "1GiB" as 1 byte, "10XB" as 10 and "3e5" as 3
  const parsed = typeof value === 'number' || (typeof value === 'string' && SIZE_TEXT.test(value)) ? bytes.parse(value) : null
  if (parsed === null || !Number.isSafeInteger(parsed) || parsed < 0)
    return {ok: false, problem: `${shownValue(value)} is not a size; ${hint}`}
  return {ok: true, value: parsed}
}

// ---------------------------------------------------------------------------
// params

/**
 * The first number in `value` (params, at any depth) that JSON cannot hold:
 * NaN or an infinity, which YAML writes `.nan` and `.inf`. Node files are
 * checksummed over their canonical JSON, so such a param could never be
 * committed. Its path (keys and indexes, from `value`) and why; undefined when
 * there is none.
 */
export function nonFiniteParam(value: unknown, path: (string | number)[] = []): {path: (string | number)[]; problem: string} | undefined {
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return undefined
    const yaml = Number.isNaN(value) ? '.nan' : value > 0 ? '.inf' : '-.inf'
    return {path, problem: `${yaml} is not a finite number; a param must be a value JSON can hold (no NaN, no infinity)`}
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = nonFiniteParam(item, [...path, i])
      if (found) return found
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const found = nonFiniteParam(item, [...path, key])
      if (found) return found
    }
  }
  return undefined
}

// ---------------------------------------------------------------------------
// stage inputs: `inputs: [{from, files, as}]`

/** Why `as` cannot name a stage input (it becomes RIGOR_INPUT_<AS> and a directory name), or undefined. */
export function inputNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || !/^[a-z][a-z0-9_]{0,63}$/.test(name))
    return `input name ${JSON.stringify(name) ?? String(name)} must be a lowercase letter then letters, digits or "_" (at most 64), e.g. model; it becomes RIGOR_INPUT_<NAME>`
  return undefined
}

/** Why `pattern` cannot select files of an upstream's out/, or undefined: relative, inside out/, no brace or extglob tricks. */
export function inputGlobProblem(pattern: unknown): string | undefined {
  if (typeof pattern !== 'string' || pattern.length === 0)
    return 'a file pattern must be a non-empty string such as model.* or models/**/*.json'
  if (pattern.length > 256) return `file pattern "${printable(pattern)}" is longer than 256 characters`
  const line = singleLineProblem(pattern, 256)
  if (line) return `file pattern: ${line}`
  if (pattern.startsWith('/')) return `file pattern "${printable(pattern)}" is absolute; patterns are relative to the upstream's out/`
  if (pattern.split('/').some((segment) => segment === '..' || segment === '.' || segment === ''))
    return `file pattern "${printable(pattern)}" has an empty, "." or ".." segment; patterns stay inside the upstream's out/`
  if (/[{}()!+@]/.test(pattern))
    return `file pattern "${printable(pattern)}" uses braces, parentheses or an extglob; write one pattern per entry with only *, ** , ? and [...]`
  return undefined
}

/**
 * The upstream node id an input's `from` names: an id as it is, or a path
 * relative to the declaring node's id (`../train` from pipe/backtest is
 * pipe/train; `./prep` is pipe/backtest/prep). Throws nothing: the problem is returned.
 */
export function resolveInputFrom(declaringId: string, from: unknown): Parsed<string> {
  if (typeof from !== 'string' || from.length === 0)
    return {ok: false, problem: 'from must name an upstream node: an id, or ../<sibling> relative to this node'}
  let resolved = from
  if (from.startsWith('./') || from.startsWith('../') || from === '..') {
    const segments = declaringId.split('/')
    for (const part of from.split('/')) {
      if (part === '.' || part === '') continue
      if (part === '..') {
        if (segments.length === 0) return {ok: false, problem: `"${printable(from)}" from ${declaringId} walks above the top of the DAG`}
        segments.pop()
      } else segments.push(part)
    }
    resolved = segments.join('/')
  }
  const problem = nodeIdProblem(resolved)
  if (problem) return {ok: false, problem: `from "${printable(from)}" names ${JSON.stringify(resolved)}: ${problem}`}
  if (resolved === declaringId) return {ok: false, problem: `from "${printable(from)}" names the node itself`}
  return {ok: true, value: resolved}
}

// ---------------------------------------------------------------------------
// what `rigor schedule install` writes into a systemd unit or a crontab line

/**
 * Why an absolute path (the workspace, node, rigor) cannot be written into a
 * systemd unit or a crontab line, or undefined. Quoting takes care of spaces,
 * quotes, % and $; what no quoting can carry is refused: a line break or
 * another control character ends the line, systemd strips trailing blanks from
 * a value, and cron's own \% escape cannot be told apart from a path's backslash.
 */
export function schedulePathProblem(path: string, target: 'systemd' | 'cron'): string | undefined {
  if (!path.startsWith('/')) return `"${printable(path)}" is not an absolute path`
  if (/[\x00-\x1f\x7f]/.test(path)) return `"${printable(path)}" contains a line break or another control character`
  // a unit file's line that ends in a backslash goes on into the next line (WorkingDirectory= would swallow ExecStart=)
  if (/[\s\\]$/.test(path))
    return `"${printable(path)}" ends in a blank or a backslash, which systemd and cron would drop or read as going on into the next line`
  if (target === 'cron' && path.includes('\\'))
    return `"${printable(path)}" contains a backslash, which cron reads as the start of an escape`
  return undefined
}

/**
 * A schedule's id as `rigor schedule uninstall --id` takes it: the workspace folder's name made a slug, and 8 hex
 * digits of its path's hash (job.ts scheduleId). It names unit files and the crontab marker, so nothing else (a `/`,
 * a `..`) may get through.
 */
export function scheduleIdProblem(id: string): string | undefined {
  if (/^[a-z0-9][a-z0-9-]{0,31}-[0-9a-f]{8}$/.test(id)) return undefined
  return `"${printable(id)}" is not a schedule id (the workspace folder's name in lower case and dashes, a dash, 8 hex digits: my-lab-1a2b3c4d)`
}

// ---------------------------------------------------------------------------

/**
 * A name (a team, a rule, a metric) as a message shows it: in double quotes,
 * escaped as JSON, so a line break or a control character in it can never
 * start a line of its own (a forged `Fix:` or trailer line).
 */
export function quoted(value: string): string {
  return `"${printable(value)}"`
}

/** A name in a list of a message: as it is when it is a plain word (letters, digits, . _ - / @ : +), else quoted. */
export function listedName(value: string): string {
  return /^[A-Za-z0-9._/@:+-]+$/.test(value) ? value : quoted(value)
}

/** The characters controlsEscaped writes as escapes: C0 and C1 controls, DEL, the line separators, bidirectional overrides. */
const CONTROLS = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/** Whether controlsEscaped (or, but for line breaks and tabs, linesEscaped) would change `text`: a test is cheaper than a copy. */
export const hasControls = (text: string): boolean => text.search(CONTROLS) !== -1

/**
 * `text` with every control character (C0, DEL, C1), Unicode line or
 * paragraph separator and bidirectional override or isolate written as a JSON
 * escape (\n, \u001b, \u202e): text a runner wrote can then neither start a
 * line of its own, nor send a terminal an escape sequence (clear the screen,
 * move the cursor, recolour), nor show its characters in another order than
 * they are stored (a "FAIL" that reads "LIAF" turned around), wherever it is
 * shown. Unlike printable, it is not cut short and leaves quotes as they are.
 */
export function controlsEscaped(text: string): string {
  return text.replace(CONTROLS, (c) => {
    // JSON has short escapes for C0 only; DEL, C1 and the separators get \uXXXX
    const json = JSON.stringify(c).slice(1, -1)
    return json.length > 1 ? json : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
  })
}

/**
 * Text of several lines (a YAML document, a message quoting a file) for a
 * terminal: as controlsEscaped writes it, but with its line breaks and tabs
 * kept, which only move the cursor on to a fresh place.
 */
export function linesEscaped(text: string): string {
  return text
    .split('\n')
    .map((line) => line.split('\t').map(controlsEscaped).join('\t'))
    .join('\n')
}

/** A value as it can be shown in one line of an error message. */
export function printable(value: string): string {
  const shown = JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value)
  // JSON escapes C0 only: DEL, C1, the line separators and bidirectional overrides too, as controlsEscaped does
  return controlsEscaped(shown.slice(1, -1))
}

// ---------------------------------------------------------------------------
// suggestions for a mistyped name

/** Levenshtein distance, with a swap of two neighbours counting as one edit (`stauts`). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({length: a.length + 1}, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0][j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
    }
  }
  return d[a.length][b.length]
}

/**
 * The known names closest to a mistyped one (`leas` -> `lease`, `max_generation` ->
 * `max_generations`): a third of the word may be wrong (at least one letter, at most
 * three), or it may be the start of the name. Closest first.
 */
/** What to say of a node id no node has: the closest ids, or where to look them up. `rigor show`, `run`, `graph --root` and `log --node` say it alike. */
export function unknownNodeHint(id: string, known: Iterable<string>): string {
  const close = closestNames(id, known, 3)
  return close.length ? `did you mean ${close.join(' or ')}?` : 'check the id with `rigor status` or `rigor graph`'
}

export function closestNames(typed: string, known: Iterable<string>, max = 2): string[] {
  const target = typed.toLowerCase()
  if (!target) return []
  const allowed = Math.min(3, Math.max(1, Math.floor(target.length / 3)))
  return [...new Set(known)]
    .map((name) => ({name, distance: name.toLowerCase().startsWith(target) ? 0.5 : editDistance(target, name.toLowerCase())}))
    .filter((s) => s.distance <= allowed)
    .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name))
    .slice(0, max)
    .map((s) => s.name)
}
