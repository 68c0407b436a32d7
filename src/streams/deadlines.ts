import type { SchedulerLike, Subscription } from 'rxjs';

/** Something with a deadline (`at`, on the scheduler's clock; Infinity: never). */
export interface Deadline {
  readonly at: number;
  /** Called once when `at` has passed (after the entry left the set). */
  expire(): void;
}

/**
 * Deadlines of many requests on one scheduled action, not one timer each: the action is armed for
 * the earliest deadline and, when it fires, expires every due entry and re-arms for the next. A
 * request answered in time costs a Set insert and delete, no timer work. Runs on any scheduler,
 * so virtual time times requests exactly like real time.
 */
export class Deadlines<T extends Deadline> {
  private readonly entries = new Set<T>();
  private action: Subscription | null = null;
  private armedAt = Infinity;

  constructor(private readonly scheduler: SchedulerLike) {}

  get size(): number {
    return this.entries.size;
  }

  add(entry: T): void {
    if (entry.at === Infinity) return;
    this.entries.add(entry);
    if (entry.at < this.armedAt) this.arm(entry.at);
  }

  delete(entry: T): void {
    if (this.entries.delete(entry) && this.entries.size === 0) this.disarm();
  }

  /** Drops every entry without expiring it. */
  clear(): void {
    this.entries.clear();
    this.disarm();
  }

  private arm(at: number): void {
    this.action?.unsubscribe();
    this.armedAt = at;
    this.action = this.scheduler.schedule(this.fire, Math.max(0, at - this.scheduler.now()));
  }

  private disarm(): void {
    this.action?.unsubscribe();
    this.action = null;
    this.armedAt = Infinity;
  }

  private readonly fire = (): void => {
    this.action = null;
    this.armedAt = Infinity;
    const now = this.scheduler.now();
    const due: T[] = [];
    let next = Infinity;
    for (const entry of this.entries) {
      if (entry.at <= now) due.push(entry);
      else if (entry.at < next) next = entry.at;
    }
    for (const entry of due) this.entries.delete(entry);
    // (An entry added by an expire() below may arm an earlier action itself.)
    if (next < this.armedAt) this.arm(next);
    for (const entry of due) entry.expire();
  };
}
