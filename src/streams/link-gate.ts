import type { Transport } from './transport';

/**
 * Holds outbound requests while the transport's link is down (between a drop and the moment the
 * client has initialized the new link again), then lets them go in order. A transport that
 * re-establishes its link on demand (stdio restart) is asked to as soon as something waits.
 */
export class LinkGate {
  private up = true;
  private held: Array<() => void> = [];

  constructor(private readonly transport: Transport) {}

  get isUp(): boolean {
    return this.up;
  }

  /** True while requests are held. */
  get waiting(): boolean {
    return this.held.length > 0;
  }

  /** Runs `transmit` now when the link is up, else once it is released. */
  pass(transmit: () => void): void {
    if (this.up) transmit();
    else this.hold(transmit);
  }

  /** Keeps `transmit` for the release (and asks for a link if the transport makes them on demand). */
  hold(transmit: () => void): void {
    this.held.push(transmit);
    this.transport.relink?.();
  }

  down(): void {
    this.up = false;
  }

  /** The new link is ready: everything held goes out, in order. */
  release(): void {
    this.up = true;
    const held = this.held;
    this.held = [];
    for (const transmit of held) transmit();
  }

  clear(): void {
    this.held = [];
  }
}
