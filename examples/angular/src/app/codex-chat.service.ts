/**
 * An Angular service over codex-rx. The browser cannot reach `codex app-server` directly (the
 * server rejects any WebSocket `Origin`), so the app provides `CODEX_TRANSPORT`: in the app, a
 * `RelayTransport` to the codex-rx relay on its own backend (see ../main.ts and ../../server.ts);
 * in unit tests, an `InMemoryTransport`.
 *
 * Approvals are answered by the user: the client runs in manual approval mode, the view lists the
 * pending requests, and `answer()` sends the decision.
 */
import { DestroyRef, inject, Injectable, InjectionToken } from '@angular/core';
import { catchError, filter, map, merge, Observable, of, scan, shareReplay, startWith, Subject, takeWhile } from 'rxjs';
import {
  CodexClient,
  isTransportError,
  type ApprovalRequest,
  type ChatOptions,
  type ChatResult,
  type InitializeResult,
  type Transport,
  type TurnEvent,
} from 'codex-rx';

/** The app's connection to its backend relay of the app-server. */
export const CODEX_TRANSPORT = new InjectionToken<Transport>('CODEX_TRANSPORT');

/** The client, one per injector: made from `CODEX_TRANSPORT` unless provided otherwise. */
export const CODEX_CLIENT = new InjectionToken<CodexClient>('CODEX_CLIENT', {
  providedIn: 'root',
  factory: () => new CodexClient(inject(CODEX_TRANSPORT), { requestTimeoutMs: 30_000, approvalMode: 'manual' }),
});

/** A command the turn ran, or was refused. */
export interface CommandView {
  readonly itemId: string | null;
  readonly command: string;
  /** `completed`, `failed`, `declined`, ... as the server reports it. */
  readonly status: string;
}

/** What a chat view shows, updated on every event (signal-friendly: one value at a time). */
export interface ChatView {
  readonly status: 'waiting' | 'running' | 'done' | 'failed';
  /** The assistant's text so far, delta by delta (then the final text). */
  readonly text: string;
  /** How many text deltas arrived. */
  readonly deltas: number;
  /** How many completed steps (reasoning, commands, messages, ...) the turn has had. */
  readonly steps: number;
  /** Approval requests waiting for the user. */
  readonly approvals: readonly ApprovalRequest[];
  readonly commands: readonly CommandView[];
  readonly result: ChatResult | null;
  /** `name (code): message` of the error that ended the turn. */
  readonly error: string | null;
}

const initialView: ChatView = { status: 'waiting', text: '', deltas: 0, steps: 0, approvals: [], commands: [], result: null, error: null };

/** What the view folds: the turn's events, the user's answers, and the error that ended the turn. */
type ViewInput = TurnEvent | { type: 'answered'; request: ApprovalRequest } | { type: 'failure'; error: unknown };

@Injectable({ providedIn: 'root' })
export class CodexChatService {
  private readonly client = inject(CODEX_CLIENT);
  private readonly answered = new Subject<ApprovalRequest>();

  constructor() {
    // The root injector (or the TestBed) is destroyed: stop the connection and fail pending work.
    inject(DestroyRef).onDestroy(() => {
      void this.client.close();
    });
  }

  /** Connects and shakes hands (once; later calls get the same result). */
  connect(): Promise<InitializeResult> {
    return this.client.initialize();
  }

  /** One turn as events (started, delta, step, approval, completed). Cold: subscribing starts it. */
  chatEvents(text: string, options?: ChatOptions): Observable<TurnEvent> {
    return this.client.chatEvents(text, options);
  }

  /** The assistant's text so far, growing with each delta (for `toSignal`). */
  text$(text: string, options?: ChatOptions): Observable<string> {
    return this.chatEvents(text, options).pipe(
      filter((e): e is Extract<TurnEvent, { type: 'delta' }> => e.type === 'delta' && e.itemType === 'agentMessage'),
      scan((acc, e) => acc + e.delta, ''),
    );
  }

  /** Sends the user's decision on an approval request. */
  async answer(request: ApprovalRequest, approve: boolean): Promise<void> {
    await (approve ? this.client.approveApproval(request) : this.client.declineApproval(request));
    this.answered.next(request);
  }

  /** The whole view state of one turn (for `toSignal(view$(...), { requireSync: true })`). */
  view$(text: string, options?: ChatOptions): Observable<ChatView> {
    const events$ = this.chatEvents(text, options).pipe(catchError((error: unknown) => of<ViewInput>({ type: 'failure', error })));
    const answered$ = this.answered.pipe(map((request): ViewInput => ({ type: 'answered', request })));
    return merge(events$, answered$).pipe(
      scan(reduceView, initialView),
      startWith(initialView),
      // The turn's end ends the view (answered$ alone never completes); the final view is emitted.
      takeWhile((v) => v.status !== 'done' && v.status !== 'failed', true),
      shareReplay({ bufferSize: 1, refCount: true }),
    );
  }
}

function reduceView(view: ChatView, e: ViewInput): ChatView {
  switch (e.type) {
    case 'started':
      return { ...view, status: 'running' };
    case 'delta':
      return e.itemType === 'agentMessage' ? { ...view, text: view.text + e.delta, deltas: view.deltas + 1 } : view;
    case 'approval':
      return { ...view, approvals: [...view.approvals, e.request] };
    case 'answered':
      return { ...view, approvals: view.approvals.filter((a) => a.requestId !== e.request.requestId) };
    case 'step': {
      const step = e.step;
      const approvals = view.approvals.filter((a) => a.itemId !== step.itemId);
      if (step.stepType !== 'exec') return { ...view, steps: view.steps + 1, approvals };
      const data = step.data as { command?: string; status?: string };
      const command: CommandView = { itemId: step.itemId, command: data.command ?? '', status: data.status ?? 'completed' };
      return { ...view, steps: view.steps + 1, approvals, commands: [...view.commands, command] };
    }
    case 'completed':
      return { ...view, status: 'done', text: e.result.finalText, approvals: [], result: e.result };
    case 'failure': {
      const err = e.error as Error;
      const code = isTransportError(err) ? ` (${err.code})` : '';
      return { ...view, status: 'failed', approvals: [], error: `${err?.name ?? 'Error'}${code}: ${err?.message ?? String(err)}` };
    }
    default:
      // usage, plan, diff, retries and server errors: not shown by this view
      return view;
  }
}
