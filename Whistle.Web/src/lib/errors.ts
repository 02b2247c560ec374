import { ElMessage } from 'element-plus'
import { ApiError, NetworkError } from '../api/client'
import { t } from '../i18n'

export function errorText(e: unknown): string {
  if (e instanceof NetworkError) return t('errors.network')
  if (e instanceof ApiError) {
    const detail = e.problem?.detail || e.problem?.title || `HTTP ${e.status}`
    if (e.status === 409) return t('errors.stale', { detail })
    if (e.status === 403) return t('errors.forbidden')
    return t('errors.generic', { detail })
  }
  return t('errors.generic', { detail: e instanceof Error ? e.message : String(e) })
}

/** Shows an action's failure; a 409 (stale action) also refreshes what is on screen. */
export function reportActionError(e: unknown, refresh?: () => void): void {
  if (e instanceof ApiError && e.status === 401) return // back to the login already
  ElMessage({ type: e instanceof ApiError && e.status === 409 ? 'warning' : 'error', message: errorText(e), showClose: true, duration: 6000 })
  if (e instanceof ApiError && (e.status === 409 || e.status === 404)) refresh?.()
}
