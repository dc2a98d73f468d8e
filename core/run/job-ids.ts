/**
 * Job ids of one run: `n * slots + slot` for n = first, first + 1, … A RunBoard hosting several runs gives
 * each its own slot, so the run a result belongs to is `id % slots`, with no lookup table on the hot path;
 * alone, a run is slot 0 of 1 and its ids are 1, 2, 3 … as they always were.
 */

export class JobIds {
  private n = 1
  private first = 1
  private slot = 0
  private slots = 1

  constructor (slot = 0, slots = 1, first = 1) {
    this.place(slot, slots, first)
  }

  /**
   * Moves the id space to `slot` of `slots`, starting at n = `first` (a RunBoard does this when it hosts the
   * run). Only before the first id was handed out: ids of one run never mix two spaces.
   */
  place (slot: number, slots: number, first = 1): void {
    if (this.n !== this.first) throw new RangeError('job ids can only be placed before the first job is handed out')
    if (!Number.isSafeInteger(slots) || slots < 1) throw new RangeError(`job ids: slots must be a positive integer, got ${slots}`)
    if (!Number.isSafeInteger(slot) || slot < 0 || slot >= slots) throw new RangeError(`job ids: slot must be an integer in [0, ${slots}), got ${slot}`)
    if (!Number.isSafeInteger(first) || first < 1) throw new RangeError(`job ids: first must be a positive integer, got ${first}`)
    this.slot = slot
    this.slots = slots
    this.n = this.first = first
  }

  /** The next id. Ids stay safe integers (what the wire guards accept): past that the run cannot go on. */
  next (): number {
    const id = this.n * this.slots + this.slot
    if (id > Number.MAX_SAFE_INTEGER) throw new RangeError(`job ids of slot ${this.slot} of ${this.slots} are exhausted`)
    this.n++
    return id
  }

  /** The n of the next id: a later run in the same slot starts here, so the ids of a slot never repeat. */
  get nextN (): number {
    return this.n
  }
}
