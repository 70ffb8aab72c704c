import {readdirSync, renameSync, rmSync} from 'node:fs'

/** a path longer than this (bytes) is moved up before its removal: the kernel refuses paths of PATH_MAX (4096) */
const MOVE_UP_AT = 2048

/**
 * Removes a directory tree a runner wrote, however deep. Node's rmSync names
 * every entry by its full path, so a tree deeper than PATH_MAX (a runner that
 * made directories one inside another, each by a relative path) fails with
 * ENAMETOOLONG: the run directory would stay, and the error would end the
 * work loop after the verdict landed. Such a tree is cut into pieces whose
 * paths stay short, each moved up beside the root's top, and then removed.
 */
export function removeTree(dir: string | Buffer): void {
  try {
    rmSync(dir, {recursive: true, force: true})
    return
  } catch (err) {
    // Node 20's rmSync recurses once a level: a tree some 2,000 levels deep overflows its stack before PATH_MAX
    if ((err as NodeJS.ErrnoException).code !== 'ENAMETOOLONG' && !(err instanceof RangeError)) throw err
  }
  flatten(Buffer.from(dir))
  rmSync(dir, {recursive: true, force: true})
}

/** Moves every directory whose path passes MOVE_UP_AT to the top of `root`, under a fresh name; iterative, names as bytes. */
function flatten(root: Buffer): void {
  const stack: Buffer[] = [root]
  let moved = 0
  while (stack.length > 0) {
    const dir = stack.pop()!
    for (const entry of readdirSync(dir, {withFileTypes: true, encoding: 'buffer'})) {
      if (!entry.isDirectory()) continue
      const path = Buffer.concat([dir, Buffer.from('/'), entry.name as unknown as Buffer])
      if (path.length <= MOVE_UP_AT) {
        stack.push(path)
        continue
      }
      stack.push(moveUp(root, path, () => moved++))
    }
  }
}

/** `path` renamed to a fresh name at the top of `root` (a name in use by a directory with entries is skipped). */
function moveUp(root: Buffer, path: Buffer, next: () => number): Buffer {
  for (;;) {
    const top = Buffer.concat([root, Buffer.from(`/.rigor-removed-${next()}`)])
    try {
      renameSync(path, top)
      return top
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOTDIR') throw err
    }
  }
}
