/** Streaming deltas of items: agent message text, reasoning (summary and raw), command output. */
import { itemRef } from './item-ref';
import { notification, type NotificationFrame } from './envelopes';
import type { AgentMessageDeltaNotification } from '../../protocol/generated/v2/AgentMessageDeltaNotification';
import type { CommandExecutionOutputDeltaNotification } from '../../protocol/generated/v2/CommandExecutionOutputDeltaNotification';
import type { ReasoningSummaryTextDeltaNotification } from '../../protocol/generated/v2/ReasoningSummaryTextDeltaNotification';
import type { ReasoningTextDeltaNotification } from '../../protocol/generated/v2/ReasoningTextDeltaNotification';

interface DeltaArgs {
  threadId: string;
  turnId: string;
  itemId: string;
  delta: string;
}

/** `item/agentMessage/delta {threadId, turnId, itemId, delta}`. */
export function agentDelta(args: DeltaArgs): NotificationFrame<AgentMessageDeltaNotification, 'item/agentMessage/delta'> {
  return notification('item/agentMessage/delta', {
    ...itemRef(args),
    delta: args.delta,
  });
}

/** `item/reasoning/summaryTextDelta {threadId, turnId, itemId, delta, summaryIndex}` (index default 0). */
export function reasoningDelta(
  args: DeltaArgs & { summaryIndex?: number },
): NotificationFrame<ReasoningSummaryTextDeltaNotification, 'item/reasoning/summaryTextDelta'> {
  return notification('item/reasoning/summaryTextDelta', {
    ...itemRef(args),
    delta: args.delta,
    summaryIndex: args.summaryIndex ?? 0,
  });
}

/** `item/reasoning/textDelta {threadId, turnId, itemId, delta, contentIndex}` (raw reasoning; index default 0). */
export function reasoningTextDelta(
  args: DeltaArgs & { contentIndex?: number },
): NotificationFrame<ReasoningTextDeltaNotification, 'item/reasoning/textDelta'> {
  return notification('item/reasoning/textDelta', {
    ...itemRef(args),
    delta: args.delta,
    contentIndex: args.contentIndex ?? 0,
  });
}

/** `item/commandExecution/outputDelta {threadId, turnId, itemId, delta}`. */
export function commandOutputDelta(
  args: DeltaArgs,
): NotificationFrame<CommandExecutionOutputDeltaNotification, 'item/commandExecution/outputDelta'> {
  return notification('item/commandExecution/outputDelta', {
    ...itemRef(args),
    delta: args.delta,
  });
}
