import type {ObjectFormat} from './object-format.js'

/**
 * The modification times (whole seconds) of a git index file's entries, in
 * index order, or undefined when the file is not an index this reader knows
 * (versions 2 to 4). Only the fixed fields are read: the names are skipped.
 *
 * Why rigor reads them: git cannot tell a file changed in the second its index
 * was written from one that did not (git compares seconds), so every entry whose
 * file's mtime is not before the index's own is "racily clean" and git reads and
 * hashes that file again at every `diff-index` until the index is written in a
 * later second. A `rigor seed` of 10,000 nodes writes every file and the index
 * within one second, and each `status` after it hashed all 10,000 files (0.13 s).
 */
export function indexEntryMtimes(index: Buffer, format: ObjectFormat): number[] | undefined {
  if (index.length < 12 || index.toString('latin1', 0, 4) !== 'DIRC') return undefined
  const version = index.readUInt32BE(4)
  if (version < 2 || version > 4) return undefined
  const count = index.readUInt32BE(8)
  // ctime, mtime (seconds and nanoseconds each), dev, ino, mode, uid, gid, size: ten 32-bit fields
  const flagsAt = 40 + format.rawLength
  const mtimes: number[] = []
  let at = 12
  for (let i = 0; i < count; i++) {
    if (at + flagsAt + 2 > index.length) return undefined
    mtimes.push(index.readUInt32BE(at + 8))
    const flags = index.readUInt16BE(at + flagsAt)
    const extended = version >= 3 && (flags & 0x4000) !== 0
    const nameAt = at + flagsAt + (extended ? 4 : 2)
    if (version === 4) {
      // a varint (how much of the previous name to drop), then the rest of the name ended by a NUL
      let p = nameAt
      while (p < index.length && (index[p]! & 0x80) !== 0) p++
      const end = index.indexOf(0, p + 1)
      if (end < 0) return undefined
      at = end + 1
    } else {
      const short = flags & 0xfff
      const nameLength = short < 0xfff ? short : index.indexOf(0, nameAt) - nameAt
      if (nameLength < 0) return undefined
      // padded with 1 to 8 NULs to a multiple of 8 bytes (git's ondisk_ce_size)
      at += (nameAt - at + nameLength + 8) & ~7
    }
  }
  return mtimes
}

/** How many entries of `index` git treats as racily clean: their mtime is not before the index file's, to the second. */
export function racilyCleanEntries(index: Buffer, indexMtimeSeconds: number, format: ObjectFormat): number {
  const mtimes = indexEntryMtimes(index, format)
  if (!mtimes) return 0
  let racy = 0
  for (const mtime of mtimes) if (mtime >= indexMtimeSeconds) racy++
  return racy
}
