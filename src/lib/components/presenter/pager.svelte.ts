/**
 * Pages on the projector: nobody scrolls a presenter screen, so content that
 * does not fit is shown a page at a time. Pages turn by themselves (a room's
 * pace: `dwellMs` each) and with the arrow, Page Up/Down and space keys of the
 * room's computer; a page turned by hand gets its full time again.
 */
export class Pager {
  page = $state(0);
  count = $state(1);
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly dwellMs = 15_000) {}

  /** Sets the number of pages (at least one), staying on the current page while it exists. */
  setCount(count: number): void {
    const next = Math.max(1, count);
    // Called whenever the content is measured again (a point typed on, a resize): only a new count restarts the clock.
    if (next === this.count && (this.timer !== null) === next > 1) return;
    this.count = next;
    if (this.page >= next) this.page = 0;
    this.restart();
  }

  next(): void {
    this.page = (this.page + 1) % this.count;
    this.restart();
  }

  previous(): void {
    this.page = (this.page - 1 + this.count) % this.count;
    this.restart();
  }

  keydown(event: KeyboardEvent): void {
    if (this.count < 2 || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === 'ArrowRight' || event.key === 'PageDown' || event.key === ' ') {
      event.preventDefault();
      this.next();
    } else if (event.key === 'ArrowLeft' || event.key === 'PageUp') {
      event.preventDefault();
      this.previous();
    }
  }

  private restart(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = this.count > 1 ? setInterval(() => (this.page = (this.page + 1) % this.count), this.dwellMs) : null;
  }

  destroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
