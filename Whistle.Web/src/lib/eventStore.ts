import { isMeetingEvent } from './meetingEvents'

/**
 * Applies live events exactly once, and knows from where a catch-up must start so that none is skipped.
 *
 * - `sequence` grows with every event on the server; a client sees only some of them, so gaps
 *   are normal and never waited for.
 * - Pushes may arrive out of order (a redelivery, a relay that took over): an event below one already
 *   applied is still applied, once. So the highest sequence applied (`lastSequence`) is NOT where a
 *   catch-up may start: an earlier event may still be on its way, and a reconnect would skip it for good.
 * - `confirmedSequence` is the low-water mark: every event this client may see up to it has been
 *   applied. It moves only on a catch-up's answer (the server's word on which events the client may
 *   see): after `CatchUp(from)` answered, every event in (from, highest answered] is known, so the mark
 *   moves to the highest answered (or stays at `from` when nothing came). The next catch-up starts there.
 *   Before the first catch-up of a session the mark is just below the lowest sequence pushed (what came
 *   before the page loaded is in what the page loaded).
 * - Sequences applied above the mark are remembered (to drop duplicates); at or below it every
 *   sequence counts as applied. When more than `maxRemembered` pile up above it, `needsConfirm` asks for
 *   a catch-up that moves the mark.
 * - While a catch-up runs, live events are held back; when the catch-up answers, both are
 *   merged, sorted by sequence, de-duplicated and applied in order.
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
  /** Sequences applied above the confirmed mark. */
  private seen = new Set<number>()
  /** Every event this client may see up to here was applied (meaningful once `anchored`). */
  private confirmed = 0
  /** A catch-up answered (or `seed` set the mark): `confirmed` is the server's word, not a guess. */
  private anchored = false
  /** The lowest sequence applied so far (the mark before the first catch-up sits just below it). */
  private lowest = Number.POSITIVE_INFINITY
  private buffering = false
  private buffer: E[] = []
  /** Where the running catch-up started. */
  private from = 0
  private perWhistle = new Map<string, number>()
  private _lastSequence = 0

  constructor(
    private readonly apply: (event: E, ctx: ApplyContext) => void,
    private readonly maxRemembered = 10000,
  ) {}

  /** The highest sequence applied (not where a catch-up starts: see `confirmedSequence`). */
  get lastSequence(): number {
    return this._lastSequence
  }

  /** The low-water mark: the argument of the next `CatchUp`. */
  get confirmedSequence(): number {
    if (this.anchored) return this.confirmed
    return Number.isFinite(this.lowest) ? this.lowest - 1 : 0
  }

  /** Sequences applied above the mark, not yet confirmed by a catch-up. */
  get unconfirmed(): number {
    return this.seen.size
  }

  /** Too many unconfirmed sequences to remember: a catch-up should move the mark. */
  get needsConfirm(): boolean {
    return !this.buffering && this.seen.size > this.maxRemembered
  }

  get catchingUp(): boolean {
    return this.buffering
  }

  /** Sets a known mark: every event up to `sequence` is accounted for. */
  seed(sequence: number): void {
    this.confirmed = this.anchored ? Math.max(this.confirmed, sequence) : sequence
    this.anchored = true
    if (sequence > this._lastSequence) this._lastSequence = sequence
    this.forgetConfirmed()
  }

  hasApplied(sequence: number): boolean {
    return (this.anchored && sequence <= this.confirmed) || this.seen.has(sequence)
  }

  /** A live push. Returns the events applied now (empty when buffered or duplicate). */
  receive(event: E): E[] {
    if (this.buffering) {
      this.buffer.push(event)
      return []
    }
    return this.applyBatch([event], false)
  }

  /** Holds live events back; returns the sequence the catch-up must start after. */
  beginCatchUp(): number {
    this.buffering = true
    this.from = this.confirmedSequence
    return this.from
  }

  /**
   * Ends a catch-up with what the server returned for `CatchUp(from)` (all pages, oldest first); applies it
   * merged with the held-back live events, and moves the mark to the highest sequence answered.
   */
  endCatchUp(events: readonly E[]): E[] {
    const held = this.buffer
    this.buffer = []
    this.buffering = false
    const heldSet = new Set(held)
    const applied = this.applyBatch([...events, ...held], true, heldSet)
    // The answer holds every event this client may see in (from, highest answered]: the mark moves there.
    // Not beyond: a live event above it may still have an earlier one on its way.
    const answered = events.reduce((m, e) => (Number.isFinite(e?.sequence) ? Math.max(m, e.sequence) : m), this.from)
    this.confirmed = Math.max(this.anchored ? this.confirmed : 0, answered)
    this.anchored = true
    this.forgetConfirmed()
    return applied
  }

  /** The catch-up failed: apply whatever live events were held back; the mark stays. */
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
      if (event.sequence < this.lowest) this.lowest = event.sequence
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
    return applied
  }

  /** At or below the mark every sequence counts as applied: no need to remember them one by one. */
  private forgetConfirmed(): void {
    for (const s of this.seen) if (s <= this.confirmed) this.seen.delete(s)
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
