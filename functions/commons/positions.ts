import * as z from "zod";
import { IsoTimestampSchema } from "#schemas/common.ts";
import { BeyondTombstoneRetentionError } from "./errors.ts";
import { compareSequenceNumbers } from "./sequence-numbers.ts";

/**
 * What an aggregate item remembers of the source items it has applied, so that a duplicate or a
 * stale event changes nothing: per source item, the last applied stream sequence number.
 *
 * A removed source item keeps its position as a tombstone, with the time of the removal, so a
 * stale event about it that arrives later cannot bring it back. Tombstones are kept for the
 * declared `tombstoneRetentionSeconds` (longer than any automatic redelivery, see
 * `infra/validate.ts`), then dropped so the item does not grow for ever; `forgottenBefore`
 * remembers the newest removal dropped. An event about an item the aggregate does not know that
 * is no newer than that removal cannot be told apart from a stale one: it is refused with
 * {@link BeyondTombstoneRetentionError}, and the consumer sets it aside for an operator.
 */

/** Last applied sequence number per source item, as decimal strings (compare as big integers). */
export const PositionsSchema = z.record(z.string(), z.string().regex(/^\d{1,40}$/));
export type Positions = z.infer<typeof PositionsSchema>;

/** The fields every position-keeping aggregate item carries. */
export const PositionStateSchema = z.object({
  positions: PositionsSchema,
  /** Tombstones: when each removed source item (still in `positions`) was removed. */
  removedAt: z.record(z.string(), IsoTimestampSchema).optional(),
  /** Change time of the newest removal whose tombstone was dropped. */
  forgottenBefore: IsoTimestampSchema.optional(),
});
export type PositionState = z.infer<typeof PositionStateSchema>;

/** One change of one source item, as the event tells it. */
export interface SourceChange {
  readonly id: string;
  readonly sequenceNumber: string;
  /** The stream record's change time (`metadata.changedAt`). */
  readonly changedAt: string;
  readonly removed: boolean;
}

/** How long tombstones are kept, and the clock. */
export interface TombstonePolicy {
  readonly retentionSeconds: number;
  readonly now: Date;
}

/**
 * Whether a change is new for this aggregate: `false` for a duplicate or a stale event.
 * @throws {BeyondTombstoneRetentionError} when it concerns an unknown item and is no newer than
 *   the newest forgotten removal
 */
export function isNewChange(state: PositionState | undefined, change: SourceChange): boolean {
  const applied = state?.positions[change.id];
  if (applied !== undefined) return compareSequenceNumbers(change.sequenceNumber, applied) > 0;
  const forgotten = state?.forgottenBefore;
  if (forgotten !== undefined && Date.parse(change.changedAt) <= Date.parse(forgotten)) {
    throw new BeyondTombstoneRetentionError(
      `the change of ${JSON.stringify(change.id)} at ${change.changedAt} (sequence number ${change.sequenceNumber}) is unknown to this aggregate and no newer than removals it has forgotten (up to ${forgotten}), so it may describe an item since removed; check with npm run audit and correct the source item if it is missing — or raise tombstoneRetentionSeconds in infra/pipeline.ts before replaying events this old`,
    );
  }
  return true;
}

/**
 * The position state after applying a change: its position recorded, a removal remembered as a
 * tombstone, and tombstones older than the retention dropped. `state` may be a whole aggregate
 * item; only its position fields are read, and only they are returned.
 *
 * A tombstone is dropped once it is older than the retention at the time of the change being
 * applied (never later than now), so replaying old records ages tombstones on their own timeline.
 */
export function recordChange(
  state: PositionState | undefined,
  change: SourceChange,
  policy: TombstonePolicy,
): PositionState {
  const positions: Positions = { ...state?.positions, [change.id]: change.sequenceNumber };
  const removedAt: Record<string, string> = { ...state?.removedAt };
  if (change.removed) removedAt[change.id] = change.changedAt;
  else delete removedAt[change.id];
  let forgottenBefore = state?.forgottenBefore;
  // Age is measured up to the change being applied, or now if that is earlier: live traffic ages
  // tombstones by the clock, while a replay of records weeks old keeps them for as long as its
  // own timeline says, instead of dropping every one on arrival and refusing what follows.
  const appliedAt = Math.min(policy.now.getTime(), Date.parse(change.changedAt));
  const cutoff = appliedAt - policy.retentionSeconds * 1000;
  for (const [id, at] of Object.entries(removedAt)) {
    if (Date.parse(at) >= cutoff) continue;
    delete removedAt[id];
    delete positions[id];
    if (forgottenBefore === undefined || Date.parse(at) > Date.parse(forgottenBefore)) forgottenBefore = at;
  }
  return {
    positions,
    ...(Object.keys(removedAt).length === 0 ? {} : { removedAt }),
    ...(forgottenBefore === undefined ? {} : { forgottenBefore }),
  };
}
