/** The vocabulary shared by the fake app-server's parts: records, answers, errors, and what a turn needs from its server. */
import type { SchedulerLike } from 'rxjs';
import type { TurnStatus } from '../../protocol/generated/v2/TurnStatus';
import type { JsonRpcId } from '../../protocol/messages';
import type { KnownClientRequestMethod, ParamsOf } from '../../protocol/methods';
import type { ServerRequestFrame } from '../frames';
import type { InboundValue } from '../in-memory-transport';

/** The frames the real server sends around a turn on its own. Each can be turned off, e.g. for specs that assert exact sequences. */
export interface RoutineFrames {
  /** `thread/started {thread}` after the response to `thread/start` and `thread/fork`. */
  threadStarted: boolean;
  /**
   * `thread/status/changed`: `active` when a turn opens, `active` with `waitingOnApproval` or
   * `waitingOnUserInput` while a script awaits an answer, `idle` when the turn ends.
   */
  threadStatus: boolean;
  /** The user's input as a `userMessage` item (`item/started`, `item/completed`) right after `turn/started`. */
  userMessage: boolean;
  /** `thread/tokenUsage/updated` just before a completed or failed turn ends (unless the script sent `turn.usage()`). */
  tokenUsage: boolean;
}

/** A request the client sent, as received. */
export interface ReceivedRequest<M extends string = string> {
  /** The request's id, as the client chose it. */
  id: JsonRpcId;
  /** The request's method. */
  method: M;
  /** The request's params, typed by the pinned protocol for a known method. */
  params: M extends KnownClientRequestMethod ? ParamsOf<M> : unknown;
}

/** A notification the client sent (`initialized`, ...). */
export interface ReceivedNotification {
  /** The notification's method. */
  method: string;
  /** The notification's params, as sent. */
  params: unknown;
}

/** The client's answer to a server request: a result or a JSON-RPC error. */
export type ClientAnswer =
  | {
      /** The id of the server request answered. */
      id: JsonRpcId;
      /** The client's result. */
      result: unknown;
    }
  | {
      /** The id of the server request answered. */
      id: JsonRpcId;
      /** The client's error. */
      error: {
        /** The JSON-RPC error code. */
        code: number;
        /** The error's message. */
        message: string;
        /** The error's further details, if any. */
        data?: unknown;
      };
    };

/** A request the server sent to the client, and the client's answer once it came. */
export interface SentServerRequest {
  /** The id the server gave the request. */
  id: JsonRpcId;
  /** The request's method (e.g. `item/commandExecution/requestApproval`). */
  method: string;
  /** The request's params, as sent. */
  params: unknown;
  /** Absent until the client answered (and forever when the server dropped the request first). */
  answer?: ClientAnswer;
}

/** Thrown by a method handler (`server.handle()`): the request is answered with this JSON-RPC error. */
export class FakeRpcError extends Error {
  /** Throw it from a method handler to answer the request with this error. */
  constructor(
    /** The JSON-RPC error code of the answer (e.g. `-32001` to test overload retries). */
    readonly code: number,
    message: string,
    /** The answer's error `data`, if any. */
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'FakeRpcError';
  }
}

/**
 * What a script's pending `turn.wait()`, `turn.approval()`, ... rejects with when the turn was
 * interrupted or the connection ended, and what a helper throws once its turn ended. The server
 * ends the script quietly on it.
 */
export class FakeTurnEndedError extends Error {
  /** Made by the fake server when a turn ends under a script. */
  constructor(
    /** The turn that ended. */
    readonly turnId: string,
    /** How it ended: the turn's final status, or `closed` when the connection ended. */
    readonly reason: TurnStatus | 'closed',
  ) {
    super(`turn ${turnId} ended (${reason})`);
    this.name = 'FakeTurnEndedError';
  }
}

/** What a `FakeTurn` needs from its server (the fake server implements it; tests need not). */
export interface TurnHost {
  readonly scheduler: SchedulerLike;
  readonly routine: RoutineFrames;
  /** Delivers a frame (or a raw line) to the client, in order. */
  deliver(value: InboundValue): void;
  /** Delivers raw text or bytes as one chunk (no newline added); resolves when the stream took it. */
  deliverChunk(chunk: string | Uint8Array): Promise<void>;
  /** Sends a server request; the promise settles with the client's answer. */
  request(build: (id: JsonRpcId) => ServerRequestFrame): { id: JsonRpcId; answer: Promise<ClientAnswer> };
  /** Drops a pending server request (`serverRequest/resolved`), rejecting its promise with `reason`. */
  drop(id: JsonRpcId, reason: Error): void;
  /** A fresh item id. */
  itemId(): string;
  /** The turn ended (by any means): its thread is free for the next turn. */
  turnEnded(threadId: string, turnId: string): void;
}
