import { describe, expect, it } from 'vitest'
import { countdown, formatDateTime, formatDuration, formatPeriod, formatTime, limitState } from '../src/lib/time'
import { assignmentDeadlines, boardCounters, isWhistleOverdue } from '../src/lib/domain'
import type { Assignment, Whistle } from '../src/api/types'

describe('Asia/Shanghai formatting', () => {
  it('shows UTC instants in China Standard Time (UTC+8)', () => {
    expect(formatDateTime('2025-03-01T08:05:00Z')).toBe('2025-03-01 16:05')
    expect(formatTime('2025-03-01T08:05:00Z')).toBe('16:05')
  })

  it('crosses the date line to the next day', () => {
    expect(formatDateTime('2024-12-31T16:30:15Z', true)).toBe('2025-01-01 00:30:15')
  })

  it('midnight is 00, not 24', () => {
    expect(formatDateTime('2025-06-30T16:00:00Z')).toBe('2025-07-01 00:00')
  })

  it('accepts offsets and Date objects', () => {
    expect(formatDateTime('2025-03-01T10:05:00+02:00')).toBe('2025-03-01 16:05')
    expect(formatDateTime(new Date(Date.UTC(2025, 0, 2, 3, 4, 5)))).toBe('2025-01-02 11:04')
  })

  it('returns empty text for missing or invalid values', () => {
    expect(formatDateTime(null)).toBe('')
    expect(formatDateTime(undefined)).toBe('')
    expect(formatDateTime('not a date')).toBe('')
    expect(formatTime('')).toBe('')
  })
})

describe('a period [from, to) as a reader counts it', () => {
  it('Should_show_a_month_of_whole_days_by_its_first_and_last_date_both_included', () => {
    // December in Asia/Shanghai: 2026-12-01 00:00 (UTC+8) up to 2027-01-01 00:00, the end not in it.
    expect(formatPeriod('2026-11-30T16:00:00Z', '2026-12-31T16:00:00Z')).toBe('2026-12-01 – 2026-12-31')
  })

  it('Should_show_one_whole_day_once', () => {
    expect(formatPeriod('2026-11-30T16:00:00Z', '2026-12-01T16:00:00Z')).toBe('2026-12-01')
  })

  it('Should_show_the_times_of_a_period_that_starts_or_ends_within_a_day', () => {
    expect(formatPeriod('2026-12-01T00:00:00Z', '2026-12-01T09:30:00Z')).toBe('2026-12-01 08:00 – 2026-12-01 17:30')
    expect(formatPeriod('2026-11-30T16:00:00Z', '2026-12-01T09:30:00Z')).toBe('2026-12-01 00:00 – 2026-12-01 17:30')
  })

  it('Should_count_days_in_China_Standard_Time_whatever_the_browsers_zone', () => {
    // UTC midnights are 08:00 in Shanghai: not whole days there.
    expect(formatPeriod('2026-12-01T00:00:00Z', '2026-12-02T00:00:00Z')).toBe('2026-12-01 08:00 – 2026-12-02 08:00')
  })

  it('Should_show_nothing_for_a_missing_or_invalid_end', () => {
    expect(formatPeriod('2026-11-30T16:00:00Z', null)).toBe('')
    expect(formatPeriod('not a date', '2026-12-01T16:00:00Z')).toBe('')
  })
})

describe('limit state (amber at the reminder share, red when overdue)', () => {
  const start = '2025-03-01T08:00:00Z'
  const end = '2025-03-01T08:30:00Z'
  const at = (hhmmss: string) => Date.parse(`2025-03-01T${hhmmss}Z`)

  it('Should_stay_plain_before_the_reminder_share_of_the_limit_has_passed', () => {
    expect(limitState(start, end, at('08:14:59'), 0.5)).toBe('ok')
  })

  it('Should_turn_amber_once_the_reminder_share_has_passed', () => {
    expect(limitState(start, end, at('08:15:00'), 0.5)).toBe('warning')
    expect(limitState(start, end, at('08:29:59'), 0.5)).toBe('warning')
    expect(limitState(start, end, at('08:23:59'), 0.8)).toBe('ok')
    expect(limitState(start, end, at('08:24:00'), 0.8)).toBe('warning')
  })

  it('Should_turn_red_once_the_deadline_has_passed', () => {
    expect(limitState(start, end, at('08:30:00'), 0.5)).toBe('warning')
    expect(limitState(start, end, at('08:30:01'), 0.5)).toBe('overdue')
  })

  it('Should_show_no_amber_when_the_county_sends_no_reminder', () => {
    expect(limitState(start, end, at('08:29:00'), 0)).toBe('ok')
    expect(limitState(start, end, at('08:29:00'), 1)).toBe('ok')
    expect(limitState(null, end, at('08:29:00'), 0.5)).toBe('ok')
    expect(limitState(start, null, at('08:29:00'), 0.5)).toBeNull()
  })
})

describe('countdown', () => {
  const now = Date.parse('2025-03-01T08:00:00Z')

  it('counts down before the deadline', () => {
    const c = countdown('2025-03-01T08:30:00Z', now)!
    expect(c.overdue).toBe(false)
    expect(c.minutes).toBe(30)
    expect(c.text).toBe('30分')
  })

  it('is overdue after the deadline, with the time past it', () => {
    const c = countdown('2025-03-01T07:54:30Z', now)!
    expect(c.overdue).toBe(true)
    expect(c.minutes).toBe(6)
    expect(c.text).toBe('5分30秒')
  })

  it('is not overdue exactly at the deadline', () => {
    expect(countdown('2025-03-01T08:00:00Z', now)!.overdue).toBe(false)
  })

  it('is null without a deadline', () => {
    expect(countdown(null, now)).toBeNull()
    expect(countdown('garbage', now)).toBeNull()
  })

  it('Should_count_in_Chinese_units_two_at_most', () => {
    expect(formatDuration(45_000)).toBe('45秒')
    expect(formatDuration((8 * 60 + 49) * 1000)).toBe('8分49秒')
    expect(formatDuration((2 * 60 + 5) * 60_000)).toBe('2小时5分')
    expect(formatDuration(2 * 3600_000)).toBe('2小时')
    expect(formatDuration(((3 * 24 + 4) * 60 + 59) * 60_000)).toBe('3天4小时')
    expect(formatDuration(-90_000)).toBe('1分30秒')
  })

  it('Should_count_in_English_units_when_the_UI_is_English', () => {
    expect(formatDuration((8 * 60 + 49) * 1000, 'en')).toBe('8 min 49 s')
    expect(formatDuration((2 * 60 + 5) * 60_000, 'en')).toBe('2 h 5 min')
    expect(formatDuration(((3 * 24 + 4) * 60) * 60_000, 'en')).toBe('3 d 4 h')
    expect(formatDuration(45_000, 'en')).toBe('45 s')
    expect(countdown('2025-03-01T08:08:49Z', now, 'en')!.text).toBe('8 min 49 s')
  })
})

function assignment(over: Partial<Assignment>): Assignment {
  return {
    id: 'a1',
    whistleId: 'w1',
    agencyCode: 'ENV',
    branchId: 'b1',
    role: 'lead',
    status: 'dispatched',
    dispatchedAt: '2025-03-01T07:00:00Z',
    reportBy: '2025-03-01T07:30:00Z',
    resolveBy: '2025-03-01T11:00:00Z',
    ...over,
  }
}

describe('assignment deadlines', () => {
  const now = Date.parse('2025-03-01T08:00:00Z')

  it('an unreported assignment past report-by is overdue', () => {
    const d = assignmentDeadlines(assignment({}), now)
    expect(d.reportOverdue).toBe(true)
    expect(d.resolveOverdue).toBe(false)
    expect(d.overdue).toBe(true)
  })

  it('once reported only resolve-by counts down', () => {
    const d = assignmentDeadlines(assignment({ status: 'reported', reportedAt: '2025-03-01T07:40:00Z' }), now)
    expect(d.report).toBeNull()
    expect(d.resolve?.overdue).toBe(false)
    expect(d.overdue).toBe(false)
    expect(d.reportedLate).toBe(true)
  })

  it('a reported assignment past resolve-by is overdue', () => {
    const later = Date.parse('2025-03-01T11:00:01Z')
    expect(assignmentDeadlines(assignment({ status: 'reported' }), later).resolveOverdue).toBe(true)
  })

  it('resolved and declined assignments are never overdue', () => {
    const later = Date.parse('2025-03-02T00:00:00Z')
    expect(assignmentDeadlines(assignment({ status: 'resolved', resolvedAt: '2025-03-01T10:00:00Z' }), later).overdue).toBe(false)
    expect(assignmentDeadlines(assignment({ status: 'declined' }), later).overdue).toBe(false)
  })

  it('a whistle is overdue when an open assignment is, and counters add up', () => {
    const w = (status: Whistle['status'], assignments: Assignment[]) =>
      ({ status, assignments }) as Pick<Whistle, 'status' | 'assignments'>
    const list = [
      w('dispatched', [assignment({}), assignment({ id: 'a2', reportBy: '2025-03-01T09:00:00Z' })]),
      w('in-progress', [assignment({ id: 'a3', status: 'reported' })]),
      w('closed', [assignment({ id: 'a4' })]),
    ]
    expect(isWhistleOverdue(list[0], now)).toBe(true)
    expect(isWhistleOverdue(list[1], now)).toBe(false)
    expect(isWhistleOverdue(list[2], now)).toBe(false)
    expect(boardCounters(list, now)).toEqual({ open: 2, unreported: 2, overdue: 1 })
  })
})
