import { isMeetingEvent } from './meetingEvents'

/**
 * Applies live events exactly once and in sequence order.
 *
 * - `sequence` grows with every event on the server; a client sees only some of them, so gaps
 *   are normal and never waited for.
 * - A sequence already applied is dropped (a duplicate from a catch-up overlapping live pushes,
 *   or a redelivery).
 * - While a catch-up runs, live events are held back; when the catch-up answers, both are
 *   merged, sorted by sequence, de-duplicated and applied in order.
 * - `lastSequence` is the highest sequence applied: the argument of the next `CatchUp`.
 * - Per whistle, the highest applied sequence is kept, so an event that arrives after a newer
 *   one of the same whistle is marked `stale` (its snapshot must not overwrite newer state).
 */
export interface SequencedEvent {
  sequence: number
  whistleId?: string
  type?: string
  whistle?: unknown
  meeting?: unknown
}

/**
 * Per-entity key for staleness: a meeting's event carries the MEETING's id in `whistleId`, so it is
 * kept apart from whistles (an id shared by a whistle and a meeting never makes either stale).
 */
export function entityKey(event: SequencedEvent): string | null {
  if (!event.whistleId) return null
  return isMeetingEvent({ type: event.type ?? '', whistle: event.whistle, meeting: event.meeting }) ? `meeting:${event.whistleId}` : event.whistleId
}

export interface ApplyContext {
  /** A newer event of the same whistle was applied before this one. */
  stale: boolean
  /** The event came from a catch-up rather than a live push. */
  fromCatchUp: boolean
}

export class EventSequencer<E extends SequencedEvent> {
  private seen = new Set<number>()
  /** Sequences at or below this were pruned from `seen` and count as seen. */
  private floor = 0
  private buffering = false
  private buffer: E[] = []
  private perWhistle = new Map<string, number>()
  private _lastSequence = 0

  constructor(
    private readonly apply: (event: E, ctx: ApplyContext) => void,
    private readonly maxRemembered = 10000,
  ) {}

  get lastSequence(): number {
    return this._lastSequence
  }

  get catchingUp(): boolean {
    return this.buffering
  }

  /** Sets the starting point when no event was applied yet (e.g. a known baseline). */
  seed(sequence: number): void {
    if (sequence > this._lastSequence) {
      this._lastSequence = sequence
      this.floor = Math.max(this.floor, sequence)
    }
  }

  hasApplied(sequence: number): boolean {
    return sequence <= this.floor || this.seen.has(sequence)
  }

  /** A live push. Returns the events applied now (empty when buffered or duplicate). */
  receive(event: E): E[] {
    if (this.buffering) {
      this.buffer.push(event)
      return []
    }
    return this.applyBatch([event], false)
  }

  beginCatchUp(): void {
    this.buffering = true
  }

  /** Ends a catch-up with what the server returned; applies it merged with the held-back live events. */
  endCatchUp(events: readonly E[]): E[] {
    const held = this.buffer
    this.buffer = []
    this.buffering = false
    const heldSet = new Set(held)
    const applied = this.applyBatch([...events, ...held], true, heldSet)
    return applied
  }

  /** The catch-up failed: apply whatever live events were held back. */
  abortCatchUp(): E[] {
    const held = this.buffer
    this.buffer = []
    this.buffering = false
    return this.applyBatch(held, false)
  }

  private applyBatch(events: readonly E[], fromCatchUp: boolean, live?: Set<E>): E[] {
    const ordered = [...events].filter((e) => Number.isFinite(e?.sequence)).sort((a, b) => a.sequence - b.sequence)
    const applied: E[] = []
    for (const event of ordered) {
      if (this.hasApplied(event.sequence)) continue
      this.seen.add(event.sequence)
      if (event.sequence > this._lastSequence) this._lastSequence = event.sequence
      let stale = false
      const key = entityKey(event)
      if (key) {
        const last = this.perWhistle.get(key) ?? 0
        stale = event.sequence < last
        if (!stale) this.perWhistle.set(key, event.sequence)
      }
      applied.push(event)
      this.apply(event, { stale, fromCatchUp: fromCatchUp && !(live?.has(event) ?? false) })
    }
    this.prune()
    return applied
  }

  private prune(): void {
    if (this.seen.size <= this.maxRemembered) return
    const sorted = [...this.seen].sort((a, b) => a - b)
    const drop = sorted.slice(0, sorted.length - this.maxRemembered)
    for (const s of drop) this.seen.delete(s)
    this.floor = Math.max(this.floor, drop[drop.length - 1])
  }
}

/**
 * Calls the hub's `CatchUp(afterSequence)` until it returns fewer than `pageSize` events
 * (the server answers at most 500 at a time, oldest first).
 */
export async function catchUpAll<E extends SequencedEvent>(
  fetchPage: (afterSequence: number) => Promise<E[] | null | undefined>,
  afterSequence: number,
  pageSize = 500,
  maxPages = 100,
): Promise<E[]> {
  const all: E[] = []
  let after = afterSequence
  for (let page = 0; page < maxPages; page++) {
    const batch = (await fetchPage(after)) ?? []
    all.push(...batch)
    if (batch.length < pageSize) break
    const max = batch.reduce((m, e) => Math.max(m, e.sequence), after)
    if (max <= after) break // no progress: never loop forever
    after = max
  }
  return all
}
