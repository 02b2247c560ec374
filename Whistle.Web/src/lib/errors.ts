import { ElMessage } from 'element-plus'
import { ApiError, NetworkError } from '../api/client'
import { t } from '../i18n'
import { problemText, problemToFieldErrors } from './problem'
import { unitName } from '../stores/reference'

/**
 * What a failure says to a person, in the UI's language (the one place problems are put in words): a problem by its
 * code (docs/API.md, "Problem codes"), a 400 by its fields' codes; never the API's English detail in Chinese.
 */
export function errorText(e: unknown): string {
  if (e instanceof NetworkError) return t('errors.network')
  if (e instanceof ApiError) {
    const detail =
      e.status === 400 && e.problem?.errors
        ? problemToFieldErrors(e.problem, [], unitName).general.join('；')
        : e.problem
          ? problemText(e.problem, unitName)
          : `HTTP ${e.status}`
    if (e.status === 409) return t('errors.stale', { detail })
    if (e.status === 403 && !e.problem?.code) return t('errors.forbidden')
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
