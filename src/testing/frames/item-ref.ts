/** The item a frame is about, `{threadId, turnId, itemId}`, taken from a builder's arguments (and nothing else of them). */
export function itemRef(args: { threadId: string; turnId: string; itemId: string }): { threadId: string; turnId: string; itemId: string } {
  return { threadId: args.threadId, turnId: args.turnId, itemId: args.itemId };
}
