import { Subject } from 'rxjs';
import type { ApprovalDecision, ApprovalRequest } from '../models';
import type { JsonRpcId } from '../protocol/messages';

/** One approval request waiting for an answer. */
export interface PendingApproval {
  readonly request: ApprovalRequest;
  /** Emits the decision given through `respondApproval` (manual answers); completes when it leaves. */
  readonly manual$: Subject<ApprovalDecision>;
}

/** A Map key per id that keeps 0, '0' and 0n apart. */
const keyOf = (id: JsonRpcId) => `${(typeof id)[0]}${id}`;

/**
 * The one record of approval requests waiting for an answer, in arrival order. Several may share
 * an id (a server that reuses one): each is its own entry and gets its own answer. Counted per
 * turn, so a turn's inactivity clock can ask whether it waits for a person.
 */
export class PendingApprovals {
  private readonly byId = new Map<string, PendingApproval[]>();
  private readonly perTurn = new Map<string, number>();
  private readonly inOrder = new Set<PendingApproval>();

  get size(): number {
    return this.inOrder.size;
  }

  /** The pending requests, oldest first. */
  requests(): ApprovalRequest[] {
    return [...this.inOrder].map((e) => e.request);
  }

  /** True while this very request (by identity) waits. */
  has(request: ApprovalRequest): boolean {
    return this.byId.get(keyOf(request.requestId))?.some((e) => e.request === request) ?? false;
  }

  hasTurn(turnId: string): boolean {
    return this.perTurn.has(turnId);
  }

  add(request: ApprovalRequest): PendingApproval {
    const entry: PendingApproval = { request, manual$: new Subject<ApprovalDecision>() };
    const key = keyOf(request.requestId);
    const list = this.byId.get(key);
    if (list) list.push(entry);
    else this.byId.set(key, [entry]);
    this.perTurn.set(request.turnId, (this.perTurn.get(request.turnId) ?? 0) + 1);
    this.inOrder.add(entry);
    return entry;
  }

  /**
   * Takes a request out; false when it was not pending. The same object the desk recorded, or
   * failing that (a copy, such as a `chatEvents` approval event's) the oldest one with its id and item.
   */
  take(request: ApprovalRequest): boolean {
    const list = this.byId.get(keyOf(request.requestId));
    const entry =
      list?.find((e) => e.request === request) ??
      list?.find((e) => e.request.itemId === request.itemId && e.request.turnId === request.turnId);
    return entry ? this.remove(entry) : false;
  }

  /** Takes the oldest request with this id out (the server resolved it); false when none was pending. */
  takeId(id: JsonRpcId): boolean {
    const entry = this.byId.get(keyOf(id))?.[0];
    return entry ? this.remove(entry) : false;
  }

  /** Takes every request of a turn out, and returns them. */
  takeTurn(turnId: string): ApprovalRequest[] {
    if (!this.perTurn.has(turnId)) return [];
    const out: ApprovalRequest[] = [];
    for (const entry of [...this.inOrder]) {
      if (entry.request.turnId === turnId && this.remove(entry)) out.push(entry.request);
    }
    return out;
  }

  clear(): void {
    for (const entry of [...this.inOrder]) this.remove(entry);
  }

  private remove(entry: PendingApproval): boolean {
    if (!this.inOrder.delete(entry)) return false;
    const key = keyOf(entry.request.requestId);
    const list = this.byId.get(key)!;
    list.splice(list.indexOf(entry), 1);
    if (list.length === 0) this.byId.delete(key);
    const turnId = entry.request.turnId;
    const left = (this.perTurn.get(turnId) ?? 1) - 1;
    if (left > 0) this.perTurn.set(turnId, left);
    else this.perTurn.delete(turnId);
    entry.manual$.complete();
    return true;
  }
}
