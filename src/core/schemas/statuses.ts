/**
 * A node's statuses, in the order views list them. Kept apart from the zod
 * schemas (common.ts builds its enum from this list) so that a command that
 * only shows statuses, such as a small `rigor status`, builds no schema.
 */
export const NODE_STATUSES = ['pending', 'running', 'proven_accepted', 'proven_rejected', 'inconclusive', 'blocked', 'cancelled'] as const
