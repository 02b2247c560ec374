import { afterEach, describe, expect, it } from 'vitest'
import { setLocale } from '../src/i18n'
import { actorName } from '../src/lib/timeline'

describe('When the timeline or the audit trail names who acted', () => {
  afterEach(() => setLocale('zh-CN'))

  it('Should_name_the_dispatch_centre_in_the_UI_language_not_as_stored', () => {
    const system = { userName: 'system', displayName: '调度中心' }
    expect(actorName(system)).toBe('调度中心')
    setLocale('en')
    expect(actorName(system)).toBe('Dispatch centre')
    expect(actorName({ userName: 'cli', displayName: 'command line' })).toBe('Server command line')
  })

  it('Should_keep_a_person_s_own_name', () => {
    setLocale('en')
    expect(actorName({ userName: 'township.chengguan', displayName: '城关街道 值班员' })).toBe('城关街道 值班员')
  })
})
