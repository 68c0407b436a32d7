import type { JsonRpcId, JsonRpcMessage } from '../protocol/messages';
import type { Recording, RecordedFrame } from './recording';
import { UNRECORDED_REQUEST_CODE } from './replay-errors';

/** A server frame that is due, and how long after the frame before it it came in the recording. */
export interface DueFrame {
  readonly index: number;
  readonly gapMs: number;
}

/** Ids as map keys: `1` and `"1"` are different ids. */
const idKey = (id: unknown): string => `${typeof id}:${String(id)}`;

type Frame = { id?: JsonRpcId; method?: string };

/**
 * The bookkeeping of a replay, without any clock: which recorded client frames the new client has
 * sent again (requests matched by method and rank, answers to server requests by their id), which
 * server frame is due next, and the new ids of the recorded answers. `ReplayTransport` drives it.
 */
export class ReplayScript {
  private readonly frames: readonly RecordedFrame[];
  /** Per recorded client frame: sent again by the new client. */
  private readonly matched: boolean[];
  /** Recorded client requests not matched yet, by method, in order. */
  private readonly requests = new Map<string, number[]>();
  /** How many requests of each method the recording holds. */
  private readonly requestCounts = new Map<string, number>();
  /** Recorded answers to server requests not matched yet, by the server request's id. */
  private readonly answers = new Map<string, number[]>();
  /** Per recorded response: the index of the request it answers. */
  private readonly answerOf = new Map<number, number>();
  /** Per recorded client request: the index of its recorded response. */
  private readonly responseTo = new Map<number, number>();
  /** Responses whose request the new client sent, in the order it sent them: they may overtake. */
  private readonly ready: number[] = [];
  /** Server frames played ahead of their turn (responses). */
  private readonly played = new Set<number>();
  /** Per recorded client request (by index): the id the new client gave it. */
  private readonly newIds = new Map<number, JsonRpcId>();
  /** The first recorded client frame that may still block (not sent again yet). */
  private outCursor = 0;
  /** The next server frame to play. */
  private inCursor = 0;

  constructor(recording: Recording) {
    this.frames = recording.frames;
    this.matched = this.frames.map(() => false);
    const openRequests = new Map<string, number>();
    this.frames.forEach(({ dir, frame }, i) => {
      const f = frame as Frame;
      if (dir === 'out' && f.method !== undefined && f.id !== undefined) {
        push(this.requests, f.method, i);
        this.requestCounts.set(f.method, (this.requestCounts.get(f.method) ?? 0) + 1);
        openRequests.set(idKey(f.id), i);
      } else if (dir === 'out' && f.method === undefined && f.id !== undefined) {
        push(this.answers, idKey(f.id), i);
      } else if (dir === 'in' && f.method === undefined && f.id !== undefined) {
        const request = openRequests.get(idKey(f.id));
        if (request !== undefined) {
          this.answerOf.set(i, request);
          this.responseTo.set(request, i);
          openRequests.delete(idKey(f.id));
        }
      }
    });
  }

  /** Every recorded server frame was played. */
  get finished(): boolean {
    return this.nextServerFrame() >= this.frames.length;
  }

  /**
   * Takes in a frame the new client sent. Returns the error answer to send back when it is a
   * request the recording does not hold (any more).
   */
  clientSent(frame: JsonRpcMessage): { id: JsonRpcId; error: { code: number; message: string; data: unknown } } | null {
    const f = frame as Frame;
    if (f.method !== undefined && f.id !== undefined) {
      const index = this.requests.get(f.method)?.shift();
      if (index === undefined) {
        const count = this.requestCounts.get(f.method) ?? 0;
        const message =
          count === 0
            ? `ReplayTransport: the recording holds no '${f.method}' request`
            : `ReplayTransport: the recording holds ${count} '${f.method}' request${count === 1 ? '' : 's'}, all answered already`;
        return { id: f.id, error: { code: UNRECORDED_REQUEST_CODE, message, data: { method: f.method, recorded: count } } };
      }
      this.matched[index] = true;
      this.newIds.set(index, f.id);
      const response = this.responseTo.get(index);
      if (response !== undefined) this.ready.push(response);
    } else if (f.method === undefined && f.id !== undefined) {
      const index = this.answers.get(idKey(f.id))?.shift();
      if (index !== undefined) this.matched[index] = true;
    }
    // Notifications (`initialized`, ...) gate nothing: the server does not answer them.
    return null;
  }

  /**
   * The next server frame if everything the client sent before it in the recording was sent again.
   * While the next one waits, an answer to a request the client did send may overtake it (answers
   * come in any order on the wire too): a client that skips a recorded request still gets answers.
   */
  nextDue(): DueFrame | null {
    while (this.outCursor < this.frames.length && !this.blocks(this.outCursor)) this.outCursor++;
    const index = this.nextServerFrame();
    if (index < this.frames.length && this.outCursor >= index) return this.due(index);
    while (this.ready.length > 0) {
      const response = this.ready.shift()!;
      if (!this.played.has(response)) return this.due(response);
    }
    return null;
  }

  private due(index: number): DueFrame {
    const gapMs = index === 0 ? 0 : Math.max(0, this.frames[index]!.atMs - this.frames[index - 1]!.atMs);
    return { index, gapMs };
  }

  /** Marks a due frame played and returns it as the new client must see it (its answer id remapped). */
  play(due: DueFrame): JsonRpcMessage {
    this.played.add(due.index);
    const frame = this.frames[due.index]!.frame;
    const request = this.answerOf.get(due.index);
    const id = request === undefined ? undefined : this.newIds.get(request);
    return id === undefined ? frame : ({ ...frame, id } as JsonRpcMessage);
  }

  /** What the replay waits for: recorded client frames not sent again yet; server frames not played. */
  remaining(): { readonly awaiting: readonly JsonRpcMessage[]; readonly unplayed: number } {
    const awaiting = this.frames.filter((_, i) => this.blocks(i)).map((f) => f.frame);
    const unplayed = this.frames.filter((f, i) => f.dir === 'in' && !this.played.has(i)).length;
    return { awaiting, unplayed };
  }

  private nextServerFrame(): number {
    while (this.inCursor < this.frames.length && (this.frames[this.inCursor]!.dir !== 'in' || this.played.has(this.inCursor)))
      this.inCursor++;
    return this.inCursor;
  }

  /** A recorded client request or answer the new client has not sent again. */
  private blocks(i: number): boolean {
    const { dir, frame } = this.frames[i]!;
    return dir === 'out' && (frame as Frame).id !== undefined && !this.matched[i];
  }
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
