import { describe, expect, it } from 'vitest'
import { ApiError } from '../src/api/client'
import { useProblemForm } from '../src/composables/useProblemForm'

// The "problem → field errors" block of the forms (issue 13), in the UI's default language (zh-CN).
describe('useProblemForm', () => {
  it("puts a 400's field problems under their fields in Chinese (by code), the rest above the form", async () => {
    const form = useProblemForm({ fields: ['title', 'address'] })
    const ok = await form.submit(async () => {
      throw new ApiError(400, {
        status: 400,
        errors: { Title: ['Title is required.'], Extra: ['At most 10.'] },
        codes: { Title: [{ code: 'required' }], Extra: [{ code: 'too-long', params: { max: 10 } }] },
      })
    })
    expect(ok).toBe(false)
    expect(form.fieldErrors.value).toEqual({ title: ['必填'] })
    expect(form.errors.value).toEqual({ title: '必填' })
    expect(form.general.value.join()).toContain('最多 10 字')
    expect(form.busy.value).toBe(false)
  })

  it('shows a 409 in place when the form says so (a taken account name), and hands other failures on', async () => {
    const taken = new ApiError(409, { status: 409, code: 'user-name-taken', errors: { userName: ['taken'] }, codes: { userName: [{ code: 'user-name-taken' }] } })
    const accounts = useProblemForm({ fields: ['userName'], inPlace: [400, 409] })
    await accounts.submit(async () => Promise.reject(taken))
    expect(accounts.errors.value.userName).toBe('该账号名已被使用')

    const handed: unknown[] = []
    const dialog = useProblemForm({ fields: ['reason'], otherwise: (e) => handed.push(e) })
    await dialog.submit(async () => Promise.reject(taken))
    expect(handed).toEqual([taken])
    expect(dialog.general.value).toEqual([])
  })

  it('says nothing on a 401 (the client is back at the sign-in page) and clears old messages on the next submit', async () => {
    const form = useProblemForm({ fields: ['title'] })
    form.errors.value = { title: 'local' }
    expect(form.fieldErrors.value).toEqual({ title: ['local'] })
    expect(await form.submit(async () => Promise.reject(new ApiError(401, null)))).toBe(false)
    expect(form.fieldErrors.value).toEqual({})
    expect(form.general.value).toEqual([])
    expect(await form.submit(async () => 'saved')).toBe(true)
  })
})
