/**
 * An in-memory transport whose link the spec drops and restores (the `links$` of a transport that
 * reconnects or restarts), serving each link through `serve` like a scripted server: what it
 * returns is delivered (asynchronously, like a peer). A drop loses whatever was in flight.
 */
import { Observable, Subject } from 'rxjs';
import { CodexTransportError, type TransportErrorCode } from '../../src/errors';
import type { Diagnostic } from '../../src/models';
import type { LinkEvent, Transport } from '../../src/streams/transport';

export type Serve = (frame: Record<string, unknown>, link: number) => object | object[] | undefined;

export class LinkedTransport implements Transport {
  readonly messages$: Observable<unknown>;
  readonly diagnostics$: Observable<Diagnostic>;
  readonly links$: Observable<LinkEvent>;
  /** Every frame sent, with the link it went out on. */
  readonly sent: Array<{ link: number; frame: Record<string, unknown> }> = [];
  /** 1 for the first link, then one more per `restore()`. */
  link = 1;
  up = false;
  private readonly messages = new Subject<unknown>();
  private readonly diagnostics = new Subject<Diagnostic>();
  private readonly links = new Subject<LinkEvent>();
  /** Relinks asked for (`relink()`), by a transport that makes links on demand. */
  relinks = 0;

  constructor(private readonly serve: Serve) {
    this.messages$ = this.messages.asObservable();
    this.diagnostics$ = this.diagnostics.asObservable();
    this.links$ = this.links.asObservable();
  }

  async start(): Promise<void> {
    this.up = true;
  }

  send(message: string): void {
    if (!this.up) throw new CodexTransportError('link down', { code: 'disconnected' });
    const frame = JSON.parse(message) as Record<string, unknown>;
    const link = this.link;
    this.sent.push({ link, frame });
    const out = this.serve(frame, link);
    if (out === undefined) return;
    queueMicrotask(() => {
      // Answers of a link that dropped meanwhile are lost with it.
      if (this.link !== link || !this.up) return;
      for (const f of Array.isArray(out) ? out : [out]) this.messages.next(JSON.parse(JSON.stringify(f)));
    });
  }

  /** Delivers frames on the current link (server notifications). */
  push(...frames: object[]): void {
    if (this.up) for (const f of frames) this.messages.next(JSON.parse(JSON.stringify(f)));
  }

  drop(resumable: boolean, code: TransportErrorCode = resumable ? 'disconnected' : 'exited'): void {
    this.up = false;
    this.links.next({ type: 'down', error: new CodexTransportError(`link ${this.link} dropped`, { code }), resumable });
  }

  restore(): void {
    this.link++;
    this.up = true;
    this.links.next({ type: 'up' });
  }

  relink(): void {
    this.relinks++;
  }

  async close(): Promise<void> {
    this.up = false;
    this.messages.complete();
    this.diagnostics.complete();
    this.links.complete();
  }
}
