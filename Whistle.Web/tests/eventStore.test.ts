import { describe, expect, it } from 'vitest'
import { EventSequencer, catchUpAll, type ApplyContext } from '../src/lib/eventStore'

interface E {
  sequence: number
  whistleId?: string
  tag?: string
}

function recorder() {
  const applied: { seq: number; ctx: ApplyContext }[] = []
  const seq = new EventSequencer<E>((e, ctx) => applied.push({ seq: e.sequence, ctx }))
  return { seq, applied, order: () => applied.map((a) => a.seq) }
}

describe('EventSequencer', () => {
  it('applies live events and tracks the last sequence, tolerating gaps', () => {
    const r = recorder()
    r.seq.receive({ sequence: 3, whistleId: 'w1' })
    r.seq.receive({ sequence: 7, whistleId: 'w1' })
    r.seq.receive({ sequence: 12, whistleId: 'w2' })
    expect(r.order()).toEqual([3, 7, 12])
    expect(r.seq.lastSequence).toBe(12)
  })

  it('drops duplicates', () => {
    const r = recorder()
    r.seq.receive({ sequence: 5 })
    r.seq.receive({ sequence: 5 })
    expect(r.seq.receive({ sequence: 5 })).toEqual([])
    expect(r.order()).toEqual([5])
  })

  it('holds live events back during a catch-up and merges them in sequence order, exactly once', () => {
    const r = recorder()
    r.seq.receive({ sequence: 10, whistleId: 'w1' })
    r.seq.beginCatchUp()
    // live pushes arrive while CatchUp(10) is in flight; one of them is also in the catch-up answer
    expect(r.seq.receive({ sequence: 14, whistleId: 'w1' })).toEqual([])
    r.seq.receive({ sequence: 16, whistleId: 'w2' })
    expect(r.order()).toEqual([10])
    const applied = r.seq.endCatchUp([
      { sequence: 11, whistleId: 'w1' },
      { sequence: 13, whistleId: 'w2' },
      { sequence: 14, whistleId: 'w1' },
    ])
    expect(applied.map((e) => e.sequence)).toEqual([11, 13, 14, 16])
    expect(r.order()).toEqual([10, 11, 13, 14, 16])
    expect(r.seq.lastSequence).toBe(16)
    // events from the catch-up are flagged, held-back live ones are not
    expect(r.applied.find((a) => a.seq === 11)!.ctx.fromCatchUp).toBe(true)
    expect(r.applied.find((a) => a.seq === 16)!.ctx.fromCatchUp).toBe(false)
  })

  it('ignores catch-up events it has already applied (overlap with live pushes)', () => {
    const r = recorder()
    r.seq.receive({ sequence: 1 })
    r.seq.receive({ sequence: 2 })
    r.seq.beginCatchUp()
    r.seq.endCatchUp([{ sequence: 1 }, { sequence: 2 }, { sequence: 3 }])
    expect(r.order()).toEqual([1, 2, 3])
  })

  it('sorts an unordered catch-up answer before applying', () => {
    const r = recorder()
    r.seq.beginCatchUp()
    r.seq.endCatchUp([{ sequence: 9 }, { sequence: 4 }, { sequence: 6 }, { sequence: 4 }])
    expect(r.order()).toEqual([4, 6, 9])
  })

  it('applies held-back events when a catch-up fails', () => {
    const r = recorder()
    r.seq.beginCatchUp()
    r.seq.receive({ sequence: 8 })
    r.seq.receive({ sequence: 7 })
    expect(r.seq.catchingUp).toBe(true)
    r.seq.abortCatchUp()
    expect(r.seq.catchingUp).toBe(false)
    expect(r.order()).toEqual([7, 8])
  })

  it('marks an older event of the same whistle that arrives late as stale', () => {
    const r = recorder()
    r.seq.receive({ sequence: 20, whistleId: 'w1' })
    r.seq.receive({ sequence: 18, whistleId: 'w1' })
    r.seq.receive({ sequence: 19, whistleId: 'w2' })
    expect(r.applied.map((a) => [a.seq, a.ctx.stale])).toEqual([
      [20, false],
      [18, true],
      [19, false],
    ])
    expect(r.seq.lastSequence).toBe(20)
  })

  it('forgets sequences at or below the confirmed mark, and asks for a confirming catch-up when too many pile up above it', () => {
    const applied: number[] = []
    const seq = new EventSequencer<E>((e) => applied.push(e.sequence), 3)
    for (const s of [1, 2, 3, 4, 5]) seq.receive({ sequence: s })
    seq.receive({ sequence: 1 })
    seq.receive({ sequence: 2 })
    seq.receive({ sequence: 5 })
    expect(applied).toEqual([1, 2, 3, 4, 5])
    // Nothing is confirmed yet (no catch-up answered): all five are remembered, and that is too many.
    expect(seq.unconfirmed).toBe(5)
    expect(seq.needsConfirm).toBe(true)
    expect(seq.beginCatchUp()).toBe(0)
    seq.endCatchUp([1, 2, 3, 4, 5].map((sequence) => ({ sequence })))
    expect(seq.confirmedSequence).toBe(5)
    expect(seq.unconfirmed).toBe(0)
    expect(seq.needsConfirm).toBe(false)
    expect(seq.hasApplied(1)).toBe(true)
  })

  it('seed sets the starting point for a catch-up', () => {
    const r = recorder()
    r.seq.seed(100)
    expect(r.seq.lastSequence).toBe(100)
    r.seq.receive({ sequence: 99 })
    r.seq.receive({ sequence: 101 })
    expect(r.order()).toEqual([101])
  })
})

describe('catchUpAll', () => {
  it('pages while the server returns full pages, continuing after the last sequence', async () => {
    const server = Array.from({ length: 1203 }, (_, i) => ({ sequence: i + 1 }))
    const calls: number[] = []
    const all = await catchUpAll<E>(async (after) => {
      calls.push(after)
      return server.filter((e) => e.sequence > after).slice(0, 500)
    }, 0)
    expect(calls).toEqual([0, 500, 1000])
    expect(all).toHaveLength(1203)
    expect(all[all.length - 1].sequence).toBe(1203)
  })

  it('stops after one short page', async () => {
    let n = 0
    const all = await catchUpAll<E>(async () => {
      n++
      return [{ sequence: 42 }]
    }, 41)
    expect(n).toBe(1)
    expect(all).toEqual([{ sequence: 42 }])
  })

  it('treats a null answer as no events and never loops without progress', async () => {
    expect(await catchUpAll<E>(async () => null, 5)).toEqual([])
    let n = 0
    await catchUpAll<E>(async () => {
      n++
      return Array.from({ length: 2 }, () => ({ sequence: 3 }))
    }, 3, 2)
    expect(n).toBe(1)
  })

  it('together with the sequencer applies exactly the missed events after a reconnect', async () => {
    const r = recorder()
    for (const s of [1, 2, 3]) r.seq.receive({ sequence: s })
    // connection lost; server produced 4..6; 6 is also pushed live as soon as we are back
    const server = [1, 2, 3, 4, 5, 6].map((sequence) => ({ sequence }))
    r.seq.beginCatchUp()
    r.seq.receive({ sequence: 6 })
    const missed = await catchUpAll<E>(async (after) => server.filter((e) => e.sequence > after), r.seq.confirmedSequence)
    r.seq.endCatchUp(missed)
    expect(r.order()).toEqual([1, 2, 3, 4, 5, 6])
  })
})

describe('the low-water mark (pushes out of order)', () => {
  /** The server's side: every sequence the client may see, and CatchUp(after) over it. */
  const serverOf = (visible: number[]) => async (after: number) => visible.filter((s) => s > after).map((sequence) => ({ sequence }))

  it('catches up from below a push that has not arrived yet, not from the highest applied', async () => {
    const r = recorder()
    const fetch = serverOf([1, 2, 3, 4, 5])
    r.seq.beginCatchUp()
    r.seq.endCatchUp(await catchUpAll<E>(fetch, 0))
    expect(r.seq.confirmedSequence).toBe(5)
    // 6, 7, 9 are pushed; 8 is on its way (a redelivery, a relay that took over) when the connection drops.
    const later = serverOf([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    for (const s of [6, 7, 9]) r.seq.receive({ sequence: s })
    expect(r.seq.lastSequence).toBe(9)
    expect(r.seq.confirmedSequence).toBe(5)
    const from = r.seq.beginCatchUp()
    expect(from).toBe(5)
    r.seq.endCatchUp(await catchUpAll<E>(later, from))
    expect(r.order()).toEqual([1, 2, 3, 4, 5, 6, 7, 9, 8, 10])
    expect(r.seq.confirmedSequence).toBe(10)
    // The late push of 8 arrives after all: it was applied once already.
    expect(r.seq.receive({ sequence: 8 })).toEqual([])
  })

  it('moves past sequences the client may not see only on the server\'s word', async () => {
    const r = recorder()
    r.seq.seed(100)
    r.seq.receive({ sequence: 105 })
    expect(r.seq.confirmedSequence).toBe(100)
    r.seq.beginCatchUp()
    r.seq.endCatchUp(await catchUpAll<E>(serverOf([103, 105, 111]), 100))
    expect(r.seq.confirmedSequence).toBe(111)
    expect(r.order()).toEqual([105, 103, 111])
    // An empty answer confirms nothing new and loses nothing.
    r.seq.receive({ sequence: 120 })
    r.seq.beginCatchUp()
    r.seq.endCatchUp([])
    expect(r.seq.confirmedSequence).toBe(111)
    expect(r.seq.hasApplied(120)).toBe(true)
  })

  it('keeps the mark when a catch-up fails', () => {
    const r = recorder()
    r.seq.seed(10)
    r.seq.receive({ sequence: 12 })
    r.seq.beginCatchUp()
    r.seq.receive({ sequence: 11 })
    r.seq.abortCatchUp()
    expect(r.order()).toEqual([12, 11])
    expect(r.seq.confirmedSequence).toBe(10)
  })

  it('starts, before any catch-up, just below the lowest sequence pushed', () => {
    const r = recorder()
    expect(r.seq.confirmedSequence).toBe(0)
    r.seq.receive({ sequence: 40 })
    r.seq.receive({ sequence: 38 })
    expect(r.seq.confirmedSequence).toBe(37)
  })
})
