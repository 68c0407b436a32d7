/** One turn of the fake server, as its script sees it: an imperative API that sends the frames the real server would. */
import { timer } from 'rxjs';
import type { CommandExecutionApprovalDecision } from '../../protocol/generated/v2/CommandExecutionApprovalDecision';
import type { CommandExecutionRequestApprovalParams } from '../../protocol/generated/v2/CommandExecutionRequestApprovalParams';
import type { CommandExecutionStatus } from '../../protocol/generated/v2/CommandExecutionStatus';
import type { PatchApplyStatus } from '../../protocol/generated/v2/PatchApplyStatus';
import type { ThreadItem } from '../../protocol/generated/v2/ThreadItem';
import type { UserInput } from '../../protocol/generated/v2/UserInput';
import type { JsonRpcId } from '../../protocol/messages';
import {
  agentDelta,
  agentMessageItem,
  approvalRequest,
  commandExecutionItem,
  commandOutputDelta,
  fileChangeApprovalRequest,
  fileChangeItem,
  itemCompleted,
  itemStarted,
  reasoningDelta,
  reasoningItem,
  threadStatusChanged,
  userInputRequest,
  type AgentMessageItem,
  type CommandExecutionItem,
  type FileChangeItem,
  type FileChangeSpec,
  type ReasoningItem,
  type ServerRequestFrame,
  type UserInputQuestionSpec,
} from '../frames';
import { TurnLifecycle } from './turn-lifecycle';
import { FakeRpcError, type ClientAnswer } from './types';

/**
 * A turn's script. Whatever it sends goes to the client in order; when it returns (or the Promise
 * it returns resolves; any other value is ignored) the turn completes, unless it ended the turn
 * itself or called `turn.keepOpen()`. A script that throws fails the turn with the error's message.
 */
export type TurnScript = (turn: FakeTurn) => unknown;

/** The default script: one agent message `Echo: <the user's text>`. */
export const echoScript: TurnScript = (turn) => {
  turn.message(`Echo: ${turn.text}`);
};

/** A decision as the client sends it (`accept`, `decline`, `{acceptWithExecpolicyAmendment: {execpolicy_amendment}}`, ...). */
export type WireApprovalDecision = CommandExecutionApprovalDecision;

/** A command approval to ask for (`item/commandExecution/requestApproval`); unset fields are sent as null. */
export interface CommandApprovalSpec {
  /** `command` (the default). */
  kind?: 'command';
  /** The command item the approval is about. Default: a fresh item id. */
  itemId?: string;
  /** The command line to approve. */
  command?: string;
  /** Where it would run. */
  cwd?: string;
  /** Why the model asks (its justification). */
  reason?: string;
  /** The parsed command, as the server describes it. */
  commandActions?: CommandExecutionRequestApprovalParams['commandActions'];
  /** An exec-policy rule the client may accept with the command. */
  proposedExecpolicyAmendment?: string[];
  /** Sent only when given (the real server sends it for commands). */
  availableDecisions?: unknown[];
}

/** A file change approval to ask for (`item/fileChange/requestApproval`). */
export interface FileChangeApprovalSpec {
  /** Asks to approve a file change (`item/fileChange/requestApproval`). */
  kind: 'fileChange';
  /** The file change item the approval is about. Default: a fresh item id. */
  itemId?: string;
  /** Why the model asks. */
  reason?: string;
  /** A directory the change would be allowed to write under for the session. */
  grantRoot?: string;
}

/** Options of `turn.message()`. */
export interface MessageOptions {
  /** The item id. Default: a fresh one. */
  id?: string;
  /** `item/agentMessage/delta` chunks (they should concatenate to the text); `true` (default): the text as one; `false`: none. */
  deltas?: boolean | string[];
  /** The message's `phase` (`commentary`, `final_answer`, ...). Default null. */
  phase?: AgentMessageItem['phase'];
}

/** Options of `turn.reasoning()`. */
export interface ReasoningOptions {
  /** The item id. Default: a fresh one. */
  id?: string;
  /** The raw reasoning parts (`content`). Default none. */
  content?: string[];
  /** One `item/reasoning/summaryTextDelta` per summary part (default), or none with `false`. */
  deltas?: boolean;
}

/** Options of `turn.command()`. */
export interface CommandOptions {
  /** The item id. Default: a fresh one. */
  id?: string;
  /** The command's output (`aggregatedOutput`). Default ''. */
  output?: string;
  /** Default 0. */
  exitCode?: number;
  /** Default `/tmp`. */
  cwd?: string;
  /** `item/commandExecution/outputDelta` chunks; `true` (default): the output as one; `false`: none. */
  deltas?: boolean | string[];
  /** Default `completed` for exit code 0, else `failed` (`declined` for a command the user refused). */
  status?: CommandExecutionStatus;
}

/** Options of `turn.fileChange()`. */
export interface FileChangeOptions {
  /** The item id. Default: a fresh one. */
  id?: string;
  /** Default `completed`. */
  status?: PatchApplyStatus;
}

/**
 * A turn the fake server runs, as its script sees it. The helpers (`message`, `reasoning`,
 * `command`, `approval`, ...) each send what the real server sends for them; the lifecycle
 * (`open`, `complete`, `fail`, `keepOpen`, raw `send`, ...) is described on `TurnLifecycle`.
 */
export class FakeTurn extends TurnLifecycle {
  /** Inputs added by `turn/steer` (or a `turn/start` joined to this running turn), in order. */
  readonly steers: UserInput[][] = [];

  private readonly unreadSteers: UserInput[][] = [];
  private readonly steerWaiters: Array<(input: UserInput[]) => void> = [];

  // ---- items --------------------------------------------------------------------------------------

  /** An agent message: `item/started`, its deltas (default: the whole text as one), `item/completed`. */
  message(text: string, opts: MessageOptions = {}): AgentMessageItem {
    this.live();
    const item = agentMessageItem(opts.id ?? this.host.itemId(), text, opts.phase === undefined ? {} : { phase: opts.phase });
    this.startItem({ ...item, text: '' });
    for (const delta of chunks(text, opts.deltas)) this.delta(item, delta);
    this.completeItem(item);
    return item;
  }

  /** A reasoning item: `item/started`, one summary delta per part (unless `deltas: false`), `item/completed`. */
  reasoning(summary: string | string[], opts: ReasoningOptions = {}): ReasoningItem {
    this.live();
    const parts = typeof summary === 'string' ? [summary] : summary;
    const item = reasoningItem(opts.id ?? this.host.itemId(), parts, opts.content ?? []);
    this.startItem({ ...item, summary: [], content: [] });
    if (opts.deltas !== false) {
      const { threadId, turnId } = this;
      parts.forEach((delta, summaryIndex) => this.emit(reasoningDelta({ threadId, turnId, itemId: item.id, delta, summaryIndex })));
    }
    this.completeItem(item);
    return item;
  }

  /** A command run: `item/started` (inProgress), its output deltas (default: the output as one), `item/completed`. */
  command(command: string, opts: CommandOptions = {}): CommandExecutionItem {
    this.live();
    const output = opts.output ?? '';
    const exitCode = opts.exitCode ?? 0;
    const done = commandExecutionItem(opts.id ?? this.host.itemId(), command, {
      aggregatedOutput: output,
      exitCode,
      status: opts.status ?? (exitCode === 0 ? 'completed' : 'failed'),
      ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
    });
    this.startItem({ ...done, status: 'inProgress', aggregatedOutput: null, exitCode: null, durationMs: null });
    for (const delta of chunks(output, opts.deltas)) this.delta(done, delta);
    this.completeItem(done);
    return done;
  }

  /** A file change: `item/started` (inProgress), `item/completed` (completed unless `status` says otherwise). */
  fileChange(changes: FileChangeSpec[], opts: FileChangeOptions = {}): FileChangeItem {
    this.live();
    const item = fileChangeItem(opts.id ?? this.host.itemId(), changes, { status: opts.status ?? 'completed' });
    this.startItem({ ...item, status: 'inProgress' });
    this.completeItem(item);
    return item;
  }

  /** Any item (`mcpToolCall`, `webSearch`, `plan`, ...): `item/started` then `item/completed` with it. */
  item<T extends ThreadItem>(item: T): T {
    this.live();
    this.startItem(item);
    this.completeItem(item);
    return item;
  }

  /** `item/started` alone (for interleavings the helpers do not make). */
  startItem(item: ThreadItem): void {
    this.live();
    this.emit(itemStarted({ threadId: this.threadId, turnId: this.turnId, item }));
  }

  /** `item/completed` alone. */
  completeItem(item: ThreadItem): void {
    this.live();
    this.emit(itemCompleted({ threadId: this.threadId, turnId: this.turnId, item }));
  }

  /** A delta of an item, by its type: agent message text, reasoning summary, or command output. An id means an agent message. */
  delta(item: ThreadItem | string, delta: string): void {
    this.live();
    const args = { threadId: this.threadId, turnId: this.turnId, itemId: typeof item === 'string' ? item : item.id, delta };
    const type = typeof item === 'string' ? 'agentMessage' : item.type;
    this.emit(type === 'reasoning' ? reasoningDelta(args) : type === 'commandExecution' ? commandOutputDelta(args) : agentDelta(args));
  }

  // ---- server requests ----------------------------------------------------------------------------

  /**
   * Asks the client for an approval and resolves with its decision; then the server sends
   * `serverRequest/resolved`, like the real one. Rejects with `FakeRpcError` when the client
   * answered with an error, with `FakeTurnEndedError` when the turn was interrupted first.
   */
  async approval(spec: CommandApprovalSpec | FileChangeApprovalSpec = {}): Promise<WireApprovalDecision> {
    this.live();
    const base = { threadId: this.threadId, turnId: this.turnId, itemId: spec.itemId ?? this.host.itemId(), reason: spec.reason };
    const result = await this.ask('waitingOnApproval', (id) =>
      spec.kind === 'fileChange'
        ? fileChangeApprovalRequest({ ...base, id, grantRoot: spec.grantRoot })
        : approvalRequest({ ...spec, ...base, id }),
    );
    return (result as { decision: WireApprovalDecision }).decision;
  }

  /** Asks `item/tool/requestUserInput` and resolves with the answers by question id. */
  async userInput(questions: UserInputQuestionSpec[], opts: { itemId?: string } = {}): Promise<Record<string, string[]>> {
    this.live();
    const { threadId, turnId } = this;
    const itemId = opts.itemId ?? this.host.itemId();
    const result = await this.ask('waitingOnUserInput', (id) => userInputRequest({ id, threadId, turnId, itemId, questions }));
    const answers = (result as { answers?: Record<string, { answers?: string[] }> }).answers ?? {};
    return Object.fromEntries(Object.entries(answers).map(([q, a]) => [q, a?.answers ?? []]));
  }

  /** Any server request about this turn (built with the server's next id); resolves with the client's answer as sent. */
  request(build: (id: JsonRpcId) => ServerRequestFrame): Promise<ClientAnswer> {
    this.live();
    const { id, answer } = this.host.request(build);
    this.pending.add(id);
    return answer.finally(() => this.pending.delete(id));
  }

  // ---- time and input -----------------------------------------------------------------------------

  /** Resolves after `ms` on the server's scheduler (virtual time with a `VirtualTimeScheduler`). Does not open the turn. */
  wait(ms: number): Promise<void> {
    return this.abortable<void>((resolve) => {
      const subscription = timer(ms, this.host.scheduler).subscribe(() => resolve());
      return () => subscription.unsubscribe();
    });
  }

  /** The next input steered into this turn (`turn/steer`), or one that came since the last call. */
  nextSteer(): Promise<UserInput[]> {
    const unread = this.unreadSteers.shift();
    if (unread) return Promise.resolve(unread);
    return this.abortable<UserInput[]>((resolve) => {
      this.steerWaiters.push(resolve);
      return () => this.steerWaiters.splice(this.steerWaiters.indexOf(resolve) >>> 0, 1);
    });
  }

  /** @internal Input from `turn/steer`. */
  steer(input: UserInput[]): void {
    this.steers.push(input);
    const waiter = this.steerWaiters.shift();
    if (waiter) waiter(input);
    else this.unreadSteers.push(input);
  }

  private async ask(flag: 'waitingOnApproval' | 'waitingOnUserInput', build: (id: JsonRpcId) => ServerRequestFrame): Promise<unknown> {
    const { threadId } = this;
    const flagged = this.host.routine.threadStatus;
    if (flagged) this.emit(threadStatusChanged({ threadId, status: 'active', activeFlags: [flag] }));
    const answer = await this.request(build);
    if (flagged && !this.ended) this.emit(threadStatusChanged({ threadId, status: 'active' }));
    if ('error' in answer) throw new FakeRpcError(answer.error.code, answer.error.message, answer.error.data);
    return answer.result;
  }
}

/** The deltas of a text: `true`/absent = the whole text as one (none for ''), `false` = none, or the given chunks. */
function chunks(text: string, deltas: boolean | string[] | undefined): string[] {
  if (Array.isArray(deltas)) return deltas;
  return deltas === false || text === '' ? [] : [text];
}
