/**
 * First in, first out, each step O(1). `Array.prototype.shift` moves every
 * element behind the first when V8 cannot move the array's start instead (as
 * while the collector marks concurrently), and a cold `status` has 10,000 reads
 * waiting in one queue.
 */
export class Fifo<T> {
  private items: Array<T | undefined> = []
  private head = 0

  get length(): number {
    return this.items.length - this.head
  }

  push(item: T): void {
    this.items.push(item)
  }

  shift(): T | undefined {
    if (this.head === this.items.length) return undefined
    const item = this.items[this.head]
    // the slot lets go of what it held; the array is cut down once half of it is spent
    this.items[this.head++] = undefined
    if (this.head === this.items.length) {
      this.items = []
      this.head = 0
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return item
  }

  takeAll(): T[] {
    const all = this.items.slice(this.head) as T[]
    this.items = []
    this.head = 0
    return all
  }
}
