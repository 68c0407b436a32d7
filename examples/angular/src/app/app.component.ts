/**
 * One chat turn at a time: the answer streams in delta by delta, a command that needs approval
 * shows Approve / Decline buttons, and the commands the turn ran (or was refused) are listed.
 */
import { ChangeDetectionStrategy, Component, DestroyRef, inject, signal } from '@angular/core';
import { Observable, type Subscription } from 'rxjs';
import { isTransportError, type ApprovalRequest } from 'codex-rx';
import { CodexChatService, type ChatView } from './codex-chat.service';

@Component({
  selector: 'app-root',
  changeDetection: ChangeDetectionStrategy.OnPush,
  styles: `
    :host {
      display: block;
      max-width: 46rem;
      margin: 2rem auto;
      font:
        16px/1.5 system-ui,
        sans-serif;
    }
    form {
      display: flex;
      gap: 0.5rem;
    }
    input {
      flex: 1;
      padding: 0.4rem;
    }
    .answer {
      white-space: pre-wrap;
      background: #f4f4f8;
      padding: 0.75rem;
      min-height: 1.5rem;
    }
    .approval {
      border: 1px solid #c90;
      padding: 0.5rem 0.75rem;
    }
    .muted {
      color: #666;
      font-size: 0.9rem;
    }
  `,
  template: `
    <h1>codex-rx · Angular</h1>
    <p class="muted" data-test="connection">{{ connection() }}</p>
    <form (submit)="send($event, prompt)">
      <input #prompt name="prompt" data-test="prompt" placeholder="Ask Codex" autocomplete="off" />
      <button type="submit" data-test="send" [disabled]="busy()">Send</button>
    </form>
    @if (view(); as v) {
      <section data-test="turn">
        <p class="muted">
          turn: <span data-test="status">{{ v.status }}</span> · deltas: <span data-test="deltas">{{ v.deltas }}</span> · steps:
          {{ v.steps }}
        </p>
        <p class="answer" data-test="answer">{{ v.text }}</p>
        @for (a of v.approvals; track a.requestId) {
          <div class="approval" data-test="approval">
            <p>
              Codex asks to {{ a.kind === 'command' ? 'run' : 'change files' }}: <code data-test="approval-command">{{ describe(a) }}</code>
            </p>
            <p class="muted">{{ a.reason }}</p>
            <button data-test="approve" (click)="answer(a, true)">Approve</button>
            <button data-test="decline" (click)="answer(a, false)">Decline</button>
          </div>
        }
        @for (c of v.commands; track c.itemId) {
          <p data-test="command">
            <code>{{ c.command }}</code> → <span data-test="command-status">{{ c.status }}</span>
          </p>
        }
        @if (v.error) {
          <p data-test="error">{{ v.error }}</p>
        }
      </section>
    }
    <p class="muted" data-test="rxjs">codex-rx Observables are this app's rxjs Observables: {{ sameRxjs }}</p>
  `,
})
export class AppComponent {
  private readonly chat = inject(CodexChatService);
  readonly connection = signal('connecting…');
  readonly view = signal<ChatView | null>(null);
  readonly busy = signal(false);
  /** One rxjs in the bundle: the service's streams are instances of the app's `Observable`. */
  readonly sameRxjs = this.chat.chatEvents('(not sent)') instanceof Observable;
  private turn: Subscription | null = null;

  constructor() {
    inject(DestroyRef).onDestroy(() => this.turn?.unsubscribe());
    this.chat.connect().then(
      (info) => this.connection.set(`connected: ${String(info.serverInfo?.['userAgent'] ?? 'codex app-server')}`),
      (err: Error) => this.connection.set(`not connected: ${err.name}${isTransportError(err) ? ` (${err.code})` : ''}: ${err.message}`),
    );
  }

  send(event: Event, input: HTMLInputElement): void {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || this.busy()) return;
    input.value = '';
    this.busy.set(true);
    this.turn?.unsubscribe();
    this.turn = this.chat.view$(text).subscribe({
      next: (v) => this.view.set(v),
      complete: () => this.busy.set(false),
    });
  }

  answer(request: ApprovalRequest, approve: boolean): void {
    void this.chat.answer(request, approve);
  }

  describe(request: ApprovalRequest): string {
    return request.kind === 'command' ? (request.command ?? '') : (request.reason ?? 'a file change');
  }
}
