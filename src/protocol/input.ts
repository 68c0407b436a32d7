/** What a chat call sends as the turn's input: a text, or the protocol's `UserInput` items. */
import type { UserInput } from './generated/v2/UserInput';

/** The input of one turn: a plain text, or the protocol's input items (text, images, audio, skills, mentions). */
export type ChatInput = string | readonly UserInput[];

/** The `input` of `turn/start` for `input`: a text becomes one text item. */
export function toUserInput(input: ChatInput): UserInput[] {
  return typeof input === 'string' ? [{ type: 'text', text: input, text_elements: [] }] : [...input];
}

/** Why `input` is no valid chat input (`text` given as neither a string nor an array of typed items), or null. */
export function chatInputProblem(input: unknown, field = 'text'): string | null {
  if (typeof input === 'string') return surrogateProblem(input, field);
  if (!Array.isArray(input)) return `${field} must be a string or an array of UserInput items`;
  if (input.length === 0) return `${field}: the UserInput array is empty`;
  const bad = input.findIndex((item) => typeof (item as { type?: unknown } | null)?.type !== 'string');
  if (bad >= 0) return `${field}[${bad}] is no UserInput item (an object with a string \`type\`)`;
  return inputTextProblem(input, field);
}

/** Why the text of these input items cannot be sent (a lone surrogate, see below), or null. */
export function inputTextProblem(input: readonly unknown[], field: string): string | null {
  for (let i = 0; i < input.length; i++) {
    const item = (input[i] ?? {}) as { text?: unknown; name?: unknown; path?: unknown };
    for (const key of ['text', 'name', 'path'] as const) {
      const value = item[key];
      const problem = typeof value === 'string' ? surrogateProblem(value, `${field}[${i}].${key}`) : null;
      if (problem) return problem;
    }
  }
  return null;
}

/**
 * The server drops a `turn/start` whose text holds a lone UTF-16 surrogate (its JSON decoder
 * refuses it, and says so only on its stderr): the chat would wait out the request timeout. Such
 * text fails at once instead; `String.prototype.toWellFormed()` (Node 20+) makes it sendable.
 */
function surrogateProblem(text: string, field: string): string | null {
  const lone = LONE_SURROGATE.exec(text);
  if (!lone) return null;
  return `${field} holds a lone UTF-16 surrogate at index ${lone.index}, which the server cannot decode: send text.toWellFormed()`;
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
