import { afterEach, describe, expect, it } from 'vitest'
import { timelineNote } from '../src/lib/timeline'
import { messages, setLocale, translate } from '../src/i18n'
import { serverConstants } from './serverSource'
import timelineNotesSource from '../../Whistle.Core/Messaging/TimelineNotes.cs?raw'

const unitName = (u: { agencyCode: string; branchId: string | null }) => (u.branchId ? `branch:${u.branchId}` : `agency:${u.agencyCode}`)

describe('timeline notes by code', () => {
  afterEach(() => setLocale('zh-CN'))

  it('has a zh-CN and an English text for every code the server writes (TimelineNotes.cs)', () => {
    const codes = serverConstants(timelineNotesSource, 'TimelineNotes')
    expect(codes).toContain('dispatched-to')
    for (const code of codes) {
      expect(translate(messages['zh-CN'], `timelineNotes.${code}`), `zh-CN timelineNotes.${code}`).toBeTruthy()
      expect(translate(messages.en, `timelineNotes.${code}`), `en timelineNotes.${code}`).toBeTruthy()
    }
  })

  it('says the unit a duty went to in the UI language, not the stored Chinese', () => {
    const entry = { note: '城管分局白云所', noteCode: 'dispatched-to', noteParams: { agencyCode: 'urban-management', branchId: 'urban-management.baiyun' } }
    expect(timelineNote(entry, unitName)).toBe('派至branch:urban-management.baiyun')
    setLocale('en')
    expect(timelineNote(entry, unitName)).toBe('Dispatched to branch:urban-management.baiyun')
  })

  it('says a meeting attendance unit by unit with the attendance in words', () => {
    const entry = {
      note: '城管分局白云所：已报到；应急管理局：缺席',
      noteCode: 'attendance-recorded',
      noteParams: { entries: [
        { agencyCode: 'urban-management', branchId: 'urban-management.baiyun', attendance: 'present' },
        { agencyCode: 'emergency-management', branchId: null, attendance: 'absent' },
      ] },
    }
    setLocale('en')
    expect(timelineNote(entry, unitName)).toBe('Attendance: branch:urban-management.baiyun: Reported in; agency:emergency-management: Absent')
  })

  it("keeps a person's words and an entry recorded before the codes as written", () => {
    setLocale('en')
    expect(timelineNote({ note: '周五前完成' }, unitName)).toBe('周五前完成')
    expect(timelineNote({ note: '城管分局白云所', noteCode: null }, unitName)).toBe('城管分局白云所')
    expect(timelineNote({ note: 'x', noteCode: 'a-code-this-ui-does-not-know' }, unitName)).toBe('x')
    expect(timelineNote({}, unitName)).toBeNull()
  })
})
