import { computed, ref } from 'vue'
import type { TokenResponse, User } from '../api/types'

const STORAGE_KEY = 'whistle.session'

interface Session {
  accessToken: string
  expiresAt: string
  user: User
}

function load(): Session | null {
  try {
    const raw = globalThis.sessionStorage?.getItem(STORAGE_KEY)
    if (!raw) return null
    const s = JSON.parse(raw) as Session
    if (!s.accessToken || !s.user) return null
    if (s.expiresAt && new Date(s.expiresAt).getTime() <= Date.now()) return null
    return s
  } catch {
    return null
  }
}

const session = ref<Session | null>(load())
let expiryTimer: ReturnType<typeof setTimeout> | undefined
const expiredListeners = new Set<() => void>()

export const currentUser = computed(() => session.value?.user ?? null)
export const isSignedIn = computed(() => session.value !== null)

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

export function signIn(token: TokenResponse): void {
  session.value = { accessToken: token.accessToken, expiresAt: token.expiresAt, user: token.user }
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
