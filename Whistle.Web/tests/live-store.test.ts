import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { WhistleEvent } from '../src/api/types'

/**
 * The live store (src/stores/live.ts) against a hub of the test's own: the server keeps every event the
 * client may see; the test decides which pushes reach the client, in which order, and when the
 * connection drops. The SignalR client is replaced at the module boundary; everything else is the store.
 */
interface FakeConnection {
  handlers: Map<string, (e: WhistleEvent) => void>
  reconnecting?: () => void
  reconnected?: () => void
  closed?: () => void
  state: string
}

const hub = vi.hoisted(() => ({
  /** Every event the signed-in user may see, by sequence (the server's timeline and audience). */
  visible: [] as { sequence: number; type: string; whistleId: string; occurredAt: string; whistle: null }[],
  /** The afterSequence of every CatchUp call. */
  catchUps: [] as number[],
  connections: [] as FakeConnection[],
}))

vi.mock('@microsoft/signalr', () => {
  class Connection {
    handlers = new Map<string, (e: WhistleEvent) => void>()
    reconnecting?: () => void
    reconnected?: () => void
    closed?: () => void
    state = 'Disconnected'
    constructor() {
      hub.connections.push(this)
    }
    on(name: string, handler: (e: WhistleEvent) => void) {
      this.handlers.set(name, handler)
    }
    onreconnecting(f: () => void) {
      this.reconnecting = f
    }
    onreconnected(f: () => void) {
      this.reconnected = f
    }
    onclose(f: () => void) {
      this.closed = f
    }
    async start() {
      this.state = 'Connected'
    }
    async stop() {
      this.state = 'Disconnected'
    }
    async invoke(method: string, after: number) {
      if (method !== 'CatchUp') throw new Error(method)
      hub.catchUps.push(after)
      // The hub's contract: every event the caller may see after that sequence, oldest first, 500 at most.
      return hub.visible.filter((e) => e.sequence > after).slice(0, 500)
    }
  }
  class HubConnectionBuilder {
    withUrl() {
      return this
    }
    withAutomaticReconnect() {
      return this
    }
    configureLogging() {
      return this
    }
    build() {
      return new Connection()
    }
  }
  return {
    HubConnectionBuilder,
    HubConnectionState: { Disconnected: 'Disconnected', Connected: 'Connected' },
    LogLevel: { Warning: 3 },
  }
})

function event(sequence: number, whistleId = `w${sequence}`) {
  return { sequence, type: 'AssignmentDispatched', whistleId, occurredAt: new Date().toISOString(), whistle: null }
}

async function load() {
  const live = await import('../src/stores/live')
  const auth = await import('../src/stores/auth')
  auth.signIn({
    accessToken: 'token',
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    user: { userName: 'branch.x', displayName: 'x', role: 'branch', orgId: 'x' },
  } as never)
  const applied: number[] = []
  live.onWhistleEvent((e) => applied.push(e.sequence))
  live.startLive()
  await vi.waitFor(() => expect(live.connectionState.value).toBe('connected'))
  const connection = () => hub.connections[hub.connections.length - 1]
  /** The server pushes an event the client may see (it must be on the server's timeline first). */
  const push = (sequence: number) => connection().handlers.get('whistleEvent')!(hub.visible.find((e) => e.sequence === sequence)! as never)
  /** The connection drops and SignalR's automatic reconnect brings it back: the store catches up. */
  const reconnect = async () => {
    const calls = hub.catchUps.length
    connection().reconnecting!()
    connection().reconnected!()
    await vi.waitFor(() => expect(hub.catchUps.length).toBe(calls + 1))
    await vi.waitFor(() => expect(live.connectionState.value).toBe('connected'))
    await Promise.resolve()
  }
  return { live, applied, push, reconnect }
}

describe('the live store when pushes arrive out of order', () => {
  beforeEach(() => {
    vi.resetModules()
    hub.visible = []
    hub.catchUps = []
    hub.connections = []
  })

  afterEach(async () => {
    const live = await import('../src/stores/live')
    await live.stopLive()
  })

  it('catches up from below an event that had not arrived when the connection dropped, so nothing is skipped', async () => {
    const { live, applied, push, reconnect } = await load()
    for (const s of [1, 2, 3, 4, 5]) hub.visible.push(event(s))
    // 1, 2 and 4 arrive; 3 is delayed behind 4 and never arrives on this connection.
    push(1)
    push(2)
    push(4)
    expect(live.lastSequence.value).toBe(4)

    hub.visible.push(event(6))
    await reconnect()
    await vi.waitFor(() => expect(applied).toContain(3))
    expect([...applied].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6])
    expect(new Set(applied).size).toBe(applied.length)
    expect(hub.catchUps[0]).toBeLessThan(3)
    expect(live.confirmedSequence.value).toBe(6)
  })

  it('moves its mark past sequences it may not see once a catch-up answered, and keeps gaps it cannot explain', async () => {
    const { live, applied, push, reconnect } = await load()
    // The client may see only some sequences: 10, 12, 15 and 20 (the others are other organisations').
    for (const s of [10, 12, 15, 20]) hub.visible.push(event(s))
    push(10)
    await reconnect()
    expect(live.confirmedSequence.value).toBe(20)
    expect([...applied].sort((a, b) => a - b)).toEqual([10, 12, 15, 20])

    // Later: 25 and 31 are pushed, 27 (also the client's) is delayed behind them; two reconnects in a row.
    for (const s of [25, 27, 31]) hub.visible.push(event(s))
    push(25)
    push(31)
    expect(live.confirmedSequence.value).toBe(20)
    await reconnect()
    expect(hub.catchUps.at(-1)).toBe(20)
    expect(live.confirmedSequence.value).toBe(31)
    // The delayed push finally arrives, after the catch-up brought it: applied once.
    push(27)
    hub.visible.push(event(33))
    await reconnect()
    expect(hub.catchUps.at(-1)).toBe(31)
    expect([...applied].sort((a, b) => a - b)).toEqual([10, 12, 15, 20, 25, 27, 31, 33])
    expect(new Set(applied).size).toBe(applied.length)
  })

  it('asks for a confirming catch-up by itself when too many unconfirmed events pile up', async () => {
    const { live, applied, push } = await load()
    for (let s = 1; s <= 10_050; s++) hub.visible.push(event(s))
    // One event (7) never arrives live; the rest do, far more than the store keeps unconfirmed.
    for (let s = 1; s <= 10_050; s++) if (s !== 7) push(s)
    await vi.waitFor(() => expect(hub.catchUps.length).toBeGreaterThan(0))
    await vi.waitFor(() => expect(applied).toContain(7))
    expect(live.confirmedSequence.value).toBeGreaterThanOrEqual(7)
    expect(new Set(applied).size).toBe(applied.length)
  })

  it("hands the establishment office's events (follow-ups, mechanisms) to their own listeners, never to the whistles'", async () => {
    const { live, applied, push } = await load()
    const office: string[] = []
    live.onOfficeEvent((e) => office.push(e.type))
    const followUp = { id: 'f1', relationId: 'r1', departmentId: 'd1', institutionId: 'i1', status: 'open', missing: ['agreement'], dueAt: new Date().toISOString() }
    hub.visible.push({ ...event(1, 'f1'), type: 'FollowUpRaised', followUp } as never)
    hub.visible.push({ ...event(2, 'r1'), type: 'MechanismRecorded' })
    hub.visible.push({ ...event(3, 'f1'), type: 'FollowUpEscalated', followUp } as never)
    hub.visible.push(event(4))
    for (const s of [1, 2, 3, 4]) push(s)
    expect(office).toEqual(['FollowUpRaised', 'MechanismRecorded', 'FollowUpEscalated'])
    expect(applied).toEqual([4])
    expect(live.lastSequence.value).toBe(4)
  })
})
