import { computed, ref } from 'vue'
import type { TokenResponse, User } from '../api/types'

const STORAGE_KEY = 'whistle.session'

/** What a restricted token may do: change an expired password, or enrol the second factor its role requires. */
export type SessionRestriction = 'password' | 'second-factor' | null

interface Session {
  accessToken: string
  expiresAt: string
  user: User
  restriction: SessionRestriction
  /** Inactivity after which this tab signs out (Whistle:Auth:IdleTimeout). */
  idleTimeoutSeconds: number
}

export const DEFAULT_IDLE_SECONDS = 30 * 60

function load(): Session | null {
  try {
    const raw = globalThis.sessionStorage?.getItem(STORAGE_KEY)
    if (!raw) return null
    const s = JSON.parse(raw) as Session
    if (!s.accessToken || !s.user) return null
    if (s.expiresAt && new Date(s.expiresAt).getTime() <= Date.now()) return null
    return { ...s, restriction: s.restriction ?? null, idleTimeoutSeconds: s.idleTimeoutSeconds || DEFAULT_IDLE_SECONDS }
  } catch {
    return null
  }
}

const session = ref<Session | null>(load())
let expiryTimer: ReturnType<typeof setTimeout> | undefined
const expiredListeners = new Set<() => void>()

export const currentUser = computed(() => session.value?.user ?? null)
export const isSignedIn = computed(() => session.value !== null)
export const sessionRestriction = computed<SessionRestriction>(() => session.value?.restriction ?? null)
export const idleTimeoutSeconds = computed(() => session.value?.idleTimeoutSeconds ?? DEFAULT_IDLE_SECONDS)

export function accessToken(): string | null {
  return session.value?.accessToken ?? null
}

function scheduleExpiry(): void {
  clearTimeout(expiryTimer)
  const at = session.value?.expiresAt ? new Date(session.value.expiresAt).getTime() : NaN
  if (!Number.isFinite(at)) return
  const ms = Math.min(Math.max(at - Date.now(), 0), 2 ** 31 - 1)
  expiryTimer = setTimeout(() => sessionExpired(), ms)
}

/** Keeps a token answer as the session (an answer without a token — a second-factor challenge — is not one). */
export function signIn(token: TokenResponse): void {
  if (!token.accessToken || !token.user || !token.expiresAt) throw new Error('The answer holds no token.')
  session.value = {
    accessToken: token.accessToken,
    expiresAt: token.expiresAt,
    user: token.user,
    restriction: token.mustChangePassword ? 'password' : token.mustEnrolSecondFactor ? 'second-factor' : null,
    idleTimeoutSeconds: token.idleTimeoutSeconds > 0 ? token.idleTimeoutSeconds : DEFAULT_IDLE_SECONDS,
  }
  try {
    globalThis.sessionStorage?.setItem(STORAGE_KEY, JSON.stringify(session.value))
  } catch {
    /* storage blocked: the session lives in memory only */
  }
  scheduleExpiry()
}

export function signOut(): void {
  clearTimeout(expiryTimer)
  session.value = null
  try {
    globalThis.sessionStorage?.removeItem(STORAGE_KEY)
  } catch {
    /* ignore */
  }
}

/** Called on any 401 and when the token's time is up: clears the session and tells the app. */
export function sessionExpired(): void {
  if (!session.value) return
  signOut()
  for (const l of expiredListeners) l()
}

export function onSessionExpired(listener: () => void): () => void {
  expiredListeners.add(listener)
  return () => expiredListeners.delete(listener)
}

if (session.value) scheduleExpiry()
