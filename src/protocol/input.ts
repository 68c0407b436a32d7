/** What a chat call sends as the turn's input: a text, or the protocol's `UserInput` items. */
import type { UserInput } from './generated/v2/UserInput';

/** The input of one turn: a plain text, or the protocol's input items (text, images, audio, skills, mentions). */
export type ChatInput = string | readonly UserInput[];

/** The `input` of `turn/start` for `input`: a text becomes one text item. */
export function toUserInput(input: ChatInput): UserInput[] {
  return typeof input === 'string' ? [{ type: 'text', text: input, text_elements: [] }] : [...input];
}

/** Why `input` is no valid chat input (`text` given as neither a string nor an array of typed items), or null. */
export function chatInputProblem(input: unknown): string | null {
  if (typeof input === 'string') return null;
  if (!Array.isArray(input)) return 'text must be a string or an array of UserInput items';
  if (input.length === 0) return 'text: the UserInput array is empty';
  const bad = input.findIndex((item) => typeof (item as { type?: unknown } | null)?.type !== 'string');
  return bad < 0 ? null : `text[${bad}] is no UserInput item (an object with a string \`type\`)`;
}
