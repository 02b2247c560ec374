import { ref } from 'vue'
import { HubConnection, HubConnectionBuilder, HubConnectionState, LogLevel } from '@microsoft/signalr'
import type { WhistleEvent } from '../api/types'
import { EventSequencer, catchUpAll, type ApplyContext } from '../lib/eventStore'
import { accessToken } from './auth'
import { isOfficeEvent } from '../lib/city'

export type ConnectionState = 'disconnected' | 'connecting' | 'connected' | 'reconnecting' | 'offline'

export const connectionState = ref<ConnectionState>('disconnected')
/** The highest event sequence applied. */
export const lastSequence = ref(0)
/**
 * The low-water mark: every event this client may see up to here has been applied. A reconnect's
 * CatchUp starts after it, not after `lastSequence`: pushes can arrive out of order, and an earlier
 * event still on its way when the connection dropped would otherwise be skipped for good.
 */
export const confirmedSequence = ref(0)

type EventListener = (event: WhistleEvent, ctx: ApplyContext) => void
const eventListeners = new Set<EventListener>()
/** A branch head's events (issue 16: forms, recommendations, heads) carry `heads` and no whistle: their own listeners. */
const headsListeners = new Set<EventListener>()
/** An institution's submissions (issue 17: 请示, 报告, 选拔任用备案) carry `submission` and no whistle: their own listeners. */
const submissionListeners = new Set<EventListener>()
/**
 * The establishment office's events (issue 17: FollowUp… and MechanismRecorded) carry no whistle (`whistleId` is the
 * follow-up's or the relation's id): their own listeners, or every whistle list of the county would take them for an
 * unknown whistle and reload.
 */
const officeListeners = new Set<EventListener>()
const resyncListeners = new Set<() => void>()

function listenersOf(event: WhistleEvent): Set<EventListener> {
  if ((event as { heads?: unknown }).heads) return headsListeners
  if (event.submission) return submissionListeners
  if (isOfficeEvent(event)) return officeListeners
  return eventListeners
}

function createSequencer(): EventSequencer<WhistleEvent> {
  return new EventSequencer<WhistleEvent>((event, ctx) => {
    for (const l of listenersOf(event)) {
      try {
        l(event, ctx)
      } catch (e) {
        console.error('whistleEvent listener failed', e)
      }
    }
  })
}
let sequencer = createSequencer()

let connection: HubConnection | null = null
let wanted = false
let everConnected = false
let retryTimer: ReturnType<typeof setTimeout> | undefined
let retryDelay = 1000
/** When the live connection first came up: events older than this are history, not news. */
export let liveSince = 0

export function onWhistleEvent(listener: EventListener): () => void {
  eventListeners.add(listener)
  return () => eventListeners.delete(listener)
}

/** A branch head's events (assessment forms, recommendations, heads): never handed to the whistle listeners. */
export function onHeadsEvent(listener: EventListener): () => void {
  headsListeners.add(listener)
  return () => headsListeners.delete(listener)
}

/** An institution's submissions' events (SubmissionFiled / Answered / Reminded / Escalated): never the whistle listeners'. */
export function onSubmissionEvent(listener: EventListener): () => void {
  submissionListeners.add(listener)
  return () => submissionListeners.delete(listener)
}

/** The establishment office's events (FollowUpRaised / Replied / Reminded / Escalated / Closed, MechanismRecorded): never the whistle listeners'. */
export function onOfficeEvent(listener: EventListener): () => void {
  officeListeners.add(listener)
  return () => officeListeners.delete(listener)
}

/** Called after every (re)connection once missed events are applied: views reload their lists. */
export function onResync(listener: () => void): () => void {
  resyncListeners.add(listener)
  return () => resyncListeners.delete(listener)
}

function publishMarks(): void {
  lastSequence.value = sequencer.lastSequence
  confirmedSequence.value = sequencer.confirmedSequence
}

function receive(event: WhistleEvent): void {
  sequencer.receive(event)
  publishMarks()
  // A long-lived connection piles up events above the mark: a catch-up confirms them (and brings any
  // that never arrived), so the set stays bounded and a later reconnect has little to catch up.
  if (sequencer.needsConfirm && connectionState.value === 'connected') void catchUp()
}

let running: Promise<void> | null = null

/** One catch-up at a time: a reconnect waits for one already running (it fails or ends first). */
async function catchUp(): Promise<void> {
  while (running) await running
  running = catchUpOnce()
  try {
    await running
  } finally {
    running = null
  }
}

async function catchUpOnce(): Promise<void> {
  const conn = connection
  if (!conn) return
  const seq = sequencer
  const from = seq.beginCatchUp()
  try {
    const missed = await catchUpAll<WhistleEvent>((after) => conn.invoke<WhistleEvent[]>('CatchUp', after), from)
    seq.endCatchUp(missed)
  } catch (e) {
    console.warn('CatchUp failed', e)
    seq.abortCatchUp()
  }
  if (seq === sequencer) publishMarks()
}

function resync(): void {
  for (const l of resyncListeners) {
    try {
      l()
    } catch (e) {
      console.error('resync listener failed', e)
    }
  }
}

async function afterConnected(): Promise<void> {
  connectionState.value = 'connected'
  retryDelay = 1000
  // On the very first connection the views load their lists fresh; afterwards (and whenever
  // an event was seen) whatever happened meanwhile is caught up, in order, exactly once.
  if (everConnected || sequencer.lastSequence > 0) await catchUp()
  if (!everConnected) liveSince = Date.now()
  everConnected = true
  resync()
}

function build(): HubConnection {
  const conn = new HubConnectionBuilder()
    .withUrl('/hubs/whistles', { accessTokenFactory: () => accessToken() ?? '' })
    .withAutomaticReconnect({
      nextRetryDelayInMilliseconds: (ctx) => (ctx.previousRetryCount === 0 ? 0 : Math.min(1000 * 2 ** ctx.previousRetryCount, 10000)),
    })
    .configureLogging(LogLevel.Warning)
    .build()
  conn.on('whistleEvent', (event: WhistleEvent) => receive(event))
  conn.onreconnecting(() => {
    connectionState.value = 'reconnecting'
  })
  conn.onreconnected(() => {
    void afterConnected()
  })
  conn.onclose(() => {
    if (connection !== conn) return
    connectionState.value = navigator.onLine === false ? 'offline' : 'disconnected'
    scheduleRestart()
  })
  return conn
}

function scheduleRestart(): void {
  clearTimeout(retryTimer)
  if (!wanted || navigator.onLine === false) return
  retryTimer = setTimeout(() => void connect(), retryDelay)
  retryDelay = Math.min(retryDelay * 2, 15000)
}

async function connect(): Promise<void> {
  if (!wanted || !accessToken()) return
  connection ??= build()
  const conn = connection
  if (conn.state !== HubConnectionState.Disconnected) return
  connectionState.value = everConnected ? 'reconnecting' : 'connecting'
  try {
    await conn.start()
    if (connection !== conn || !wanted) return
    await afterConnected()
  } catch (e) {
    if (connection !== conn) return
    console.warn('hub start failed', e)
    connectionState.value = navigator.onLine === false ? 'offline' : 'disconnected'
    scheduleRestart()
  }
}

/** Starts the live connection for the signed-in user (idempotent). */
export function startLive(): void {
  wanted = true
  void connect()
}

/** Stops it (sign out): forgets everything seen, so the next user starts clean. */
export async function stopLive(): Promise<void> {
  wanted = false
  clearTimeout(retryTimer)
  const conn = connection
  connection = null
  everConnected = false
  connectionState.value = 'disconnected'
  if (conn) await conn.stop().catch(() => undefined)
  resetSequencer()
}

function resetSequencer(): void {
  // A fresh state for the next session in this tab.
  sequencer = createSequencer()
  lastSequence.value = 0
  confirmedSequence.value = 0
}

/** Drops the connection as a network cut would; it comes back by itself (also used by browser tests). */
export async function dropConnection(): Promise<void> {
  const conn = connection
  if (!conn) return
  await conn.stop().catch(() => undefined)
}

if (typeof window !== 'undefined') {
  // Playwright's offline emulation (and some real networks) leave an open WebSocket alive:
  // follow the browser's online state so the hub is cut and caught up like a real outage.
  window.addEventListener('offline', () => {
    if (!connection) return
    connectionState.value = 'offline'
    void connection.stop().catch(() => undefined)
  })
  window.addEventListener('online', () => {
    retryDelay = 1000
    void connect()
  })
  ;(window as unknown as { __whistle?: object }).__whistle = {
    dropConnection,
    reconnect: () => connect(),
    get connectionState() {
      return connectionState.value
    },
    get lastSequence() {
      return lastSequence.value
    },
    get confirmedSequence() {
      return confirmedSequence.value
    },
  }
}
