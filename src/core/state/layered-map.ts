/** What the changes say of a key: deleted, or its value (`moved`: deleted and set again, so it comes last, as in a Map). */
const DELETED: unique symbol = Symbol('deleted')
type Change<V> = typeof DELETED | {value: V; moved: boolean}

/**
 * An immutable map made of a shared base and the few keys changed since: the
 * state store hands one to every snapshot, and copying a 10,000-entry Map per
 * commit was most of a claim's time at that size. Reads look at the changes
 * first; iteration follows a Map's order exactly (a changed key keeps its
 * place, a new key comes last). `with()` makes the next version; once the
 * changes outgrow the square root of the base they are folded into a new
 * base, so reads and iteration stay close to a plain Map's.
 */
export class LayeredMap<K, V> implements ReadonlyMap<K, V> {
  private constructor(
    private readonly base: ReadonlyMap<K, V>,
    private readonly changes: ReadonlyMap<K, Change<V>>,
    readonly size: number,
  ) {}

  static of<K, V>(entries: Iterable<readonly [K, V]> = []): LayeredMap<K, V> {
    const base = new Map(entries)
    return new LayeredMap(base, new Map(), base.size)
  }

  /** This map with `updates` applied in order (undefined deletes the key), as `set` and `delete` would. */
  with(updates: Iterable<readonly [K, V | undefined]>): LayeredMap<K, V> {
    const changes = new Map(this.changes)
    let size = this.size
    for (const [key, value] of updates) {
      const change = changes.get(key)
      const present = change === undefined ? this.base.has(key) : change !== DELETED
      if (value === undefined) {
        if (!present) continue
        size--
        if (this.base.has(key)) changes.set(key, DELETED)
        else changes.delete(key)
      } else if (present) {
        // a value replaced keeps the key's place
        changes.set(key, {value, moved: change !== undefined && change !== DELETED && change.moved})
      } else {
        size++
        // a key added (or deleted and added again) goes last: out of the base's order, to the end of the changes
        changes.delete(key)
        changes.set(key, {value, moved: this.base.has(key)})
      }
    }
    // fold the changes in past about twice the square root of the map's size: each version copies the
    // changes, each fold the whole map, and this balances the two (~150 entries a version at 10,000)
    if (changes.size > 32 && changes.size * changes.size > 4 * this.base.size)
      return LayeredMap.of(new LayeredMap(this.base, changes, size))
    return new LayeredMap(this.base, changes, size)
  }

  get(key: K): V | undefined {
    const change = this.changes.get(key)
    if (change === undefined) return this.base.get(key)
    return change === DELETED ? undefined : change.value
  }

  has(key: K): boolean {
    const change = this.changes.get(key)
    return change === undefined ? this.base.has(key) : change !== DELETED
  }

  *entries(): MapIterator<[K, V]> {
    if (this.changes.size === 0) {
      yield* this.base.entries()
      return
    }
    for (const [key, value] of this.base) {
      const change = this.changes.get(key)
      if (change === undefined) yield [key, value]
      else if (change !== DELETED && !change.moved) yield [key, change.value]
    }
    for (const [key, change] of this.changes) {
      if (change !== DELETED && (change.moved || !this.base.has(key))) yield [key, change.value]
    }
  }

  *keys(): MapIterator<K> {
    for (const [key] of this.entries()) yield key
  }

  *values(): MapIterator<V> {
    for (const [, value] of this.entries()) yield value
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries()
  }

  forEach(fn: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) fn.call(thisArg, value, key, this)
  }
}
