/**
 * A first-in first-out queue in fixed-size chunks: O(1) push/shift without the O(n) `Array#shift` of large
 * arrays, and memory returned as chunks drain (stage queues may briefly hold many items).
 */
const CHUNK = 1024

interface Chunk<T> {
  readonly items: Array<T | undefined>
  head: number
  tail: number
  next: Chunk<T> | undefined
}

function chunk<T> (): Chunk<T> {
  return { items: new Array<T | undefined>(CHUNK), head: 0, tail: 0, next: undefined }
}

export class Fifo<T> {
  private first: Chunk<T> = chunk()
  private last: Chunk<T> = this.first
  private count = 0

  get size (): number {
    return this.count
  }

  push (item: T): void {
    if (this.last.tail === CHUNK) {
      const c = chunk<T>()
      this.last.next = c
      this.last = c
    }
    this.last.items[this.last.tail++] = item
    this.count++
  }

  /** Puts an item back at the front (a retried job goes before newer work). */
  unshift (item: T): void {
    if (this.first.head === 0) {
      const c = chunk<T>()
      c.head = c.tail = CHUNK
      c.next = this.first
      this.first = c
    }
    this.first.items[--this.first.head] = item
    this.count++
  }

  /** The first item, left in place. */
  peek (): T | undefined {
    if (this.count === 0) return undefined
    const c = this.first.head === this.first.tail ? this.first.next! : this.first
    return c.items[c.head]
  }

  shift (): T | undefined {
    if (this.count === 0) return undefined
    let c = this.first
    if (c.head === c.tail && c.next != null) {
      c = this.first = c.next
    }
    const item = c.items[c.head]
    c.items[c.head++] = undefined
    this.count--
    if (this.count === 0) {
      // reset to one empty chunk so an idle queue holds no memory
      this.first = this.last = chunk()
    }
    return item
  }
}
