/**
 * What the README's and docs' samples may take as given (spec/docs/samples.spec.ts): the UI
 * helpers of an app, and the values their section's prose says the reader already has. Nothing of
 * codex-rx is declared here: every sample imports what it uses of it.
 */
import type * as http from 'node:http';
import type { ApprovalRequest, ChatResult, CodexClient, ConversationStep, TurnEvent } from '../../src';
import type { TurnStatus } from '../../src/protocol/generated/v2/TurnStatus';
import type { Transport } from '../../src/streams/transport';

declare global {
  // ---- UI helpers --------------------------------------------------------------------------------
  function showSpinner(): void;
  function appendText(itemId: string, delta: string): void;
  function showStep(step: ConversationStep): void;
  function showApprovalPrompt(request: ApprovalRequest): void;
  function showPlan(lines: string[]): void;
  function showDiff(diff: string): void;
  function showTokens(total: number): void;
  function showWarning(text: string): void;
  function done(finalText: string, usage: ChatResult['usage']): void;
  function render(event: TurnEvent): void;
  function showTurn(status: TurnStatus | null, text: string, approvals: readonly ApprovalRequest[]): void;
  const ui: {
    ask(request: ApprovalRequest): Promise<boolean>;
    form(title: string, schema: unknown): Promise<{ [field: string]: string | number | boolean } | null>;
    open(url: string): Promise<boolean>;
    confirm(text: string): Promise<boolean>;
  };
  const stopButton: { onclick: (() => void) | null };
  const output: { write(text: string): Promise<void> };
  const userWantsToWait: boolean;

  // ---- what a section is about ---------------------------------------------------------------------
  /** "client" in the prose: a client made as the Quick starts show. */
  const client: CodexClient;
  const threadId: string;
  const turnId: string;
  /** The relay's token (the browser got it from its backend). */
  const token: string;
  const annToken: string;
  const bobToken: string;
  /** A server's WebSocket URL. */
  const url: string;
  const allowedOrigins: string[];
  const httpServer: http.Server;
  const myTransport: Transport;
}
