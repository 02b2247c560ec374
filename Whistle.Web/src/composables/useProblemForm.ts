import { computed, ref, type Ref, type WritableComputedRef } from 'vue'
import { ApiError } from '../api/client'
import { errorText } from '../lib/errors'
import { problemToFieldErrors, type UnitNamer } from '../lib/problem'

export interface ProblemFormOptions {
  /** The form's fields, as the API may name them in a 400's `errors` (camelCase; lib/problem.ts normalises the keys). */
  fields: readonly string[]
  /** Names a unit a problem names (the reference store's `unitName`). */
  unitName?: UnitNamer
  /** The answers whose problem the form shows in place, per field; 400 by default (an account's taken name is a 409). */
  inPlace?: readonly number[]
  /**
   * Any other failure (a 409 of a stale action, a 404, a network failure): by default said above the form in words
   * (lib/errors.ts); a form in a dialog over live data hands it to `reportActionError` and closes instead.
   * A 401 is never the form's: the client has gone back to the sign-in page.
   */
  otherwise?: (e: unknown) => void
}

export interface ProblemForm {
  /** While the request runs (the submit button's spinner). */
  busy: Ref<boolean>
  /** Messages per field, in the UI's language: the API's (translated by code) or the form's own checks. */
  fieldErrors: Ref<Record<string, string[]>>
  /** The same, one string per field; a form's own checks may set it (one message per field). */
  errors: WritableComputedRef<Record<string, string>>
  /** Messages that belong to no field the form shows, above the form. */
  general: Ref<string[]>
  clear: () => void
  /**
   * Runs the request (the form's own checks passed): clears the messages, sets `busy`, and on a problem puts its
   * messages where they belong. `true` when the request succeeded.
   */
  submit: (request: () => Promise<unknown>) => Promise<boolean>
}

/**
 * A form that submits to the API and turns a problem answer (RFC 9457 with `errors` and `codes`) into messages under
 * its fields and above it, in the UI's language (lib/problem.ts translates the codes) — the block RaiseView,
 * MeetingForm, AccountsView, NoticeChannelsView, WhistleListView and ReassignDialog each wrote out (issue 13).
 */
export function useProblemForm(options: ProblemFormOptions): ProblemForm {
  const busy = ref(false)
  const fieldErrors = ref<Record<string, string[]>>({})
  const general = ref<string[]>([])
  const errors = computed({
    get: () => Object.fromEntries(Object.entries(fieldErrors.value).map(([k, v]) => [k, v.join(' ')])),
    set: (local: Record<string, string>) => (fieldErrors.value = Object.fromEntries(Object.entries(local).map(([k, v]) => [k, [v]]))),
  })
  const inPlace = options.inPlace ?? [400]

  function clear() {
    fieldErrors.value = {}
    general.value = []
  }

  async function submit(request: () => Promise<unknown>): Promise<boolean> {
    clear()
    busy.value = true
    try {
      await request()
      return true
    } catch (e) {
      if (e instanceof ApiError && inPlace.includes(e.status)) {
        const mapped = problemToFieldErrors(e.problem, options.fields, options.unitName)
        fieldErrors.value = mapped.fields
        general.value = mapped.general
      } else if (!(e instanceof ApiError && e.status === 401)) {
        if (options.otherwise) options.otherwise(e)
        else general.value = [errorText(e)]
      }
      return false
    } finally {
      busy.value = false
    }
  }

  return { busy, fieldErrors, errors, general, clear, submit }
}
