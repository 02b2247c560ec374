import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { IdleTimer } from '../src/lib/idle'

const MINUTE = 60_000

describe('IdleTimer (session idle timeout)', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  function timer(timeoutMinutes = 30) {
    const events: string[] = []
    const t = new IdleTimer({
      timeoutMs: timeoutMinutes * MINUTE,
      warnBeforeMs: MINUTE,
      onWarn: (remaining) => events.push(`warn ${remaining}`),
      onTimeout: () => events.push('timeout'),
      onActive: () => events.push('active'),
    })
    return { t, events }
  }

  it('warns a minute before and signs out after the idle timeout', () => {
    const { t, events } = timer()
    t.start()
    vi.advanceTimersByTime(29 * MINUTE - 1)
    expect(events).toEqual([])
    vi.advanceTimersByTime(1)
    expect(events).toEqual([`warn ${MINUTE}`])
    expect(t.isWarning).toBe(true)
    vi.advanceTimersByTime(MINUTE - 1)
    expect(events).toEqual([`warn ${MINUTE}`])
    vi.advanceTimersByTime(1)
    expect(events).toEqual([`warn ${MINUTE}`, 'timeout'])
  })

  it('starts over on activity, also after the warning', () => {
    const { t, events } = timer()
    t.start()
    vi.advanceTimersByTime(20 * MINUTE)
    t.activity()
    vi.advanceTimersByTime(28 * MINUTE)
    expect(events).toEqual([])
    vi.advanceTimersByTime(MINUTE + 30_000)
    expect(events).toEqual([`warn ${MINUTE}`])
    t.activity()
    expect(events).toEqual([`warn ${MINUTE}`, 'active'])
    vi.advanceTimersByTime(29 * MINUTE - 1)
    expect(events).toEqual([`warn ${MINUTE}`, 'active'])
    vi.advanceTimersByTime(MINUTE + 1)
    expect(events).toEqual([`warn ${MINUTE}`, 'active', `warn ${MINUTE}`, 'timeout'])
  })

  it('does nothing once stopped (signed out)', () => {
    const { t, events } = timer(2)
    t.start()
    t.stop()
    t.activity()
    vi.advanceTimersByTime(10 * MINUTE)
    expect(events).toEqual([])
  })

  it('signs out at once when the tab wakes up after the timeout (a sleeping laptop)', () => {
    let now = 0
    const events: string[] = []
    const t = new IdleTimer({
      timeoutMs: 30 * MINUTE,
      warnBeforeMs: MINUTE,
      onWarn: () => events.push('warn'),
      onTimeout: () => events.push('timeout'),
      now: () => now,
    })
    t.start()
    now = 45 * MINUTE // the timers did not run while the machine slept
    vi.advanceTimersByTime(29 * MINUTE)
    expect(events).toEqual(['timeout'])
  })
})
