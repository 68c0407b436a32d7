import type { TurnView } from '../view/thread-view';

/** The text of a turn's last agent message ('' when it has none yet). */
export function lastAgentText(turn: TurnView | null | undefined): string {
  const items = turn?.items ?? [];
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]!;
    if (item.type === 'agentMessage') return item.text ?? '';
  }
  return '';
}
