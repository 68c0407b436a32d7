/**
 * The bare baseline of the benchmarks: spec/support/bare-client.ts (split lines, JSON.parse, a Map
 * from request id) plus a Map from thread id to the turn running on it. It does, per frame, the
 * least a client that offers the same features must do: route by id, build a step per completed
 * item, and (in events mode) one event object per delta. No RxJS, nothing from src/.
 */
import { BareClient } from '../spec/support/bare-client';

export interface BareStep {
  threadId: string;
  turnId: string;
  itemId: string | null;
  itemType: string | null;
  text: string | null;
  data: unknown;
}

export interface BareDelta {
  type: 'delta';
  threadId: string;
  turnId: string;
  itemId: string;
  itemType: string;
  delta: string;
}

export interface BareTurnResult {
  threadId: string;
  turnId: string;
  steps: BareStep[];
  finalText: string | null;
  status: string;
}

interface RunningTurn {
  threadId: string;
  turnId: string | null;
  steps: BareStep[];
  finalText: string | null;
  onDelta: ((d: BareDelta) => void) | null;
  resolve(r: BareTurnResult): void;
  reject(e: Error): void;
}

export class BareTurns {
  readonly client: BareClient;
  private readonly byThread = new Map<string, RunningTurn>();

  constructor(command: string[], env?: Record<string, string>, cwd?: string) {
    this.client = new BareClient({
      command,
      env,
      cwd,
      onNotification: (n) => this.route(n.method, n.params),
      // Nothing here asks for approvals; answer anything anyway so that no turn stalls.
      onServerRequest: (r) => this.client.respondError(r.id, -32601, `unhandled ${r.method}`),
    });
  }

  initialize(): Promise<unknown> {
    return this.client.initialize('bench-bare');
  }

  async startThread(params: Record<string, unknown> = {}): Promise<string> {
    const r = await this.client.request('thread/start', params);
    return r.thread.id as string;
  }

  request<T = unknown>(method: string, params?: unknown): Promise<T> {
    return this.client.request<T>(method, params);
  }

  /** Starts a turn on `threadId` and resolves on its `turn/completed`; `onDelta` sees every delta as an event. */
  turn(threadId: string, text: string, onDelta: ((d: BareDelta) => void) | null = null): Promise<BareTurnResult> {
    return new Promise<BareTurnResult>((resolve, reject) => {
      const t: RunningTurn = { threadId, turnId: null, steps: [], finalText: null, onDelta, resolve, reject };
      // Registered before the request: the server may send the turn's frames before its response is handled.
      this.byThread.set(threadId, t);
      this.client.request('turn/start', { threadId, input: [{ type: 'text', text }] }).then(
        (r) => {
          t.turnId = r.turn.id;
        },
        (e) => {
          this.byThread.delete(threadId);
          reject(e);
        },
      );
    });
  }

  close(): Promise<void> {
    return this.client.close();
  }

  private route(method: string, params: any): void {
    const threadId = params?.threadId;
    if (typeof threadId !== 'string') return;
    const t = this.byThread.get(threadId);
    if (!t) return;
    const turnId: string = params.turnId ?? params.turn?.id;
    if (method.startsWith('item/') && method.endsWith('/delta')) {
      if (t.onDelta) {
        t.onDelta({
          type: 'delta',
          threadId,
          turnId,
          itemId: params.itemId,
          itemType: method.slice(5, method.indexOf('/', 5)),
          delta: params.delta,
        });
      }
      return;
    }
    if (method === 'item/completed') {
      const item = params.item;
      const text = typeof item.text === 'string' ? item.text : null;
      t.steps.push({ threadId, turnId, itemId: item.id ?? null, itemType: item.type ?? null, text, data: item });
      if (item.type === 'agentMessage') t.finalText = text;
      return;
    }
    if (method === 'turn/completed') {
      this.byThread.delete(threadId);
      t.resolve({ threadId, turnId, steps: t.steps, finalText: t.finalText, status: params.turn.status });
    }
  }
}
