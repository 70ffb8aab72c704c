import {entryKey, nameLength, type TreeEntry} from './objects.js'

/**
 * Where each entry's id sits in a tree's bytes, by name. Trees that differ only
 * in the ids of some entries (a claim's new version of a 10,000-entry tree)
 * share one layout, so the next edit finds its entry and rewrites its id in a
 * copy of the bytes, without building a map of every name again.
 */
export interface TreeLayout {
  index: Map<string, number>
  /** byte offset of entry i's raw id in the tree's body */
  oidAt: Uint32Array
}

/** A tree this process read or wrote: its entries in git's order, and its bytes when known. */
export interface TreeRecord {
  entries: TreeEntry[]
  body?: Buffer
  layout?: TreeLayout
}

export function treeLayout(record: TreeRecord): TreeLayout {
  if (record.layout) return record.layout
  const index = new Map<string, number>()
  const oidAt = new Uint32Array(record.entries.length)
  let pos = 0
  record.entries.forEach((entry, i) => {
    index.set(entryKey(entry), i)
    pos += entry.mode.length + 1 + nameLength(entry) + 1
    oidAt[i] = pos
    pos += entry.oid.length / 2
  })
  record.layout = {index, oidAt}
  return record.layout
}

/** At most this many trees, and this many entries in all: a 10,000-entry tree per claim must not fill the memory of a long run. */
const MAX_TREES = 20_000
const MAX_ENTRIES = 1_000_000

/** Trees are immutable: parsed and written ones are kept, oldest dropped first, bounded by count and size. */
export class TreeCache {
  private readonly trees = new Map<string, TreeRecord>()
  private entries = 0

  get(oid: string): TreeRecord | undefined {
    return this.trees.get(oid)
  }

  set(oid: string, record: TreeRecord): void {
    const old = this.trees.get(oid)
    if (old) {
      this.entries -= old.entries.length
      this.trees.delete(oid)
    }
    this.trees.set(oid, record)
    this.entries += record.entries.length
    while (this.trees.size > MAX_TREES || (this.entries > MAX_ENTRIES && this.trees.size > 1)) {
      const [first, dropped] = this.trees.entries().next().value!
      this.trees.delete(first)
      this.entries -= dropped.entries.length
    }
  }
}
