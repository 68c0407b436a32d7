import type { Transport } from './transport';

/** Something to send once the link is up (a pending request). */
export interface Transmittable {
  transmit(): void;
}

/**
 * Holds outbound requests while the transport's link is down (between a drop and the moment the
 * client has initialized the new link again), then lets them go in order. A transport that
 * re-establishes its link on demand (stdio restart) is asked to as soon as something waits.
 */
export class LinkGate {
  private up = true;
  private held: Transmittable[] = [];

  constructor(private readonly transport: Transport) {}

  get isUp(): boolean {
    return this.up;
  }

  /** True while requests are held. */
  get waiting(): boolean {
    return this.held.length > 0;
  }

  /** Transmits `item` now when the link is up, else once it is released. */
  pass(item: Transmittable): void {
    if (this.up) item.transmit();
    else this.hold(item);
  }

  /** Keeps `item` for the release (and asks for a link if the transport makes them on demand). */
  hold(item: Transmittable): void {
    this.held.push(item);
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
    for (const item of held) item.transmit();
  }

  clear(): void {
    this.held = [];
  }
}
