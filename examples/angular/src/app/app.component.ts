/**
 * One chat turn at a time, on `codex-rx/angular`: `chatTurn()` gives the turn as signals (status,
 * the answer streaming in delta by delta, the approvals waiting for Approve / Decline) and its
 * thread's live view (the commands the turn ran, or was refused).
 */
import { ChangeDetectionStrategy, Component, computed, signal } from '@angular/core';
import { Observable } from 'rxjs';
import { isTransportError, type ApprovalRequest } from 'codex-rx';
import { chatTurn, injectCodex } from 'codex-rx/angular';

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
      <button type="submit" data-test="send" [disabled]="turn.status() === 'running'">Send</button>
    </form>
    @if (turn.status() !== 'idle') {
      <section data-test="turn">
        <p class="muted">
          turn: <span data-test="status">{{ turn.status() }}</span> · deltas: <span data-test="deltas">{{ turn.deltas() }}</span> · items:
          {{ turn.turn()?.items?.length ?? 0 }}
        </p>
        <p class="answer" data-test="answer">{{ turn.text() }}</p>
        @for (a of turn.pendingApprovals(); track a.requestId) {
          <div class="approval" data-test="approval">
            <p>
              Codex asks to {{ a.kind === 'command' ? 'run' : 'change files' }}: <code data-test="approval-command">{{ describe(a) }}</code>
            </p>
            <p class="muted">{{ a.reason }}</p>
            <button data-test="approve" (click)="turn.answer(a, 'accept')">Approve</button>
            <button data-test="decline" (click)="turn.answer(a, 'decline')">Decline</button>
          </div>
        }
        @for (c of commands(); track c.id) {
          <p data-test="command">
            <code>{{ c.command }}</code> → <span data-test="command-status">{{ c.status }}</span>
          </p>
        }
        @if (error(); as e) {
          <p data-test="error">{{ e }}</p>
        }
      </section>
    }
    <p class="muted" data-test="rxjs">codex-rx Observables are this app's rxjs Observables: {{ sameRxjs }}</p>
  `,
})
export class AppComponent {
  private readonly client = injectCodex();
  /** The current turn as signals; destroyed with the component. */
  readonly turn = chatTurn();
  readonly connection = signal('connecting…');
  /** The commands of the turn, from its items in the thread's live view (running, completed, declined, ...). */
  readonly commands = computed(() =>
    (this.turn.turn()?.items ?? []).flatMap((i) =>
      i.type === 'commandExecution' ? [{ id: i.id, command: i.command, status: i.status }] : [],
    ),
  );
  readonly error = computed(() => {
    const err = this.turn.error() as Error | null;
    return err ? `${err.name}${isTransportError(err) ? ` (${err.code})` : ''}: ${err.message}` : null;
  });
  /** One rxjs in the bundle: codex-rx's streams are instances of the app's `Observable`. */
  readonly sameRxjs = this.client.chatEvents('(not sent)') instanceof Observable;

  constructor() {
    this.client.initialize().then(
      (info) => this.connection.set(`connected: ${String(info.serverInfo?.['userAgent'] ?? 'codex app-server')}`),
      (err: Error) => this.connection.set(`not connected: ${err.name}${isTransportError(err) ? ` (${err.code})` : ''}: ${err.message}`),
    );
  }

  send(event: Event, input: HTMLInputElement): void {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || this.turn.status() === 'running') return;
    input.value = '';
    this.turn.send(text);
  }

  describe(request: ApprovalRequest): string {
    return request.kind === 'command' ? (request.command ?? '') : (request.reason ?? 'a file change');
  }
}
