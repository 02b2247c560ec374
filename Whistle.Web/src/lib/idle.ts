/**
 * Signs a tab out after a time without activity (等保 身份鉴别: session idle timeout), with a warning shortly before.
 * Pure timing logic: the app feeds it activity (pointer, keys, scrolling) and reacts to `onWarn` / `onTimeout`.
 */
export interface IdleTimerOptions {
  timeoutMs: number
  /** How long before the timeout the warning comes (e.g. a minute). */
  warnBeforeMs: number
  onWarn: (remainingMs: number) => void
  onTimeout: () => void
  /** Activity again after a warning (the dialog can close). */
  onActive?: () => void
  now?: () => number
}

export class IdleTimer {
  private lastActivity = 0
  private warned = false
  private timer: ReturnType<typeof setTimeout> | undefined
  private running = false
  private timeoutMs: number
  private readonly now: () => number

  constructor(private readonly options: IdleTimerOptions) {
    this.now = options.now ?? (() => Date.now())
    this.timeoutMs = options.timeoutMs
  }

  get isWarning(): boolean {
    return this.warned
  }

  /** Starts (again) from now, with the session's timeout when given. */
  start(timeoutMs: number = this.timeoutMs): void {
    this.timeoutMs = timeoutMs
    this.running = true
    this.lastActivity = this.now()
    this.warned = false
    this.schedule()
  }

  stop(): void {
    this.running = false
    clearTimeout(this.timer)
    this.timer = undefined
  }

  /** The user did something: the idle time starts over (and a shown warning is withdrawn). */
  activity(): void {
    if (!this.running) return
    this.lastActivity = this.now()
    if (this.warned) {
      this.warned = false
      this.options.onActive?.()
    }
    this.schedule()
  }

  private warnAt(): number {
    return this.lastActivity + Math.max(this.timeoutMs - this.options.warnBeforeMs, 0)
  }

  private schedule(): void {
    clearTimeout(this.timer)
    if (!this.running) return
    const now = this.now()
    const due = this.warned ? this.lastActivity + this.timeoutMs : this.warnAt()
    this.timer = setTimeout(() => this.tick(), Math.max(due - now, 0))
  }

  private tick(): void {
    if (!this.running) return
    const now = this.now()
    const idle = now - this.lastActivity
    if (idle >= this.timeoutMs) {
      this.stop()
      this.options.onTimeout()
      return
    }
    if (!this.warned && now >= this.warnAt()) {
      this.warned = true
      this.options.onWarn(this.timeoutMs - idle)
    }
    this.schedule()
  }
}
