/**
 * Which shards of a stream may be read: a child shard only once its parent has been read to its
 * end and every record of it processed, so per-item order holds across shard splits.
 */

export type ShardStatus = "waiting" | "reading" | "finished";

export interface ShardNode {
  readonly shardId: string;
  /** @default no parent */
  readonly parentShardId?: string;
}

/**
 * True when the shard may start: it has no parent, its parent is no longer in the stream (trimmed
 * after 24 h, so nothing of it is left to read), or its parent is finished.
 */
export function parentAllowsStart(
  shard: ShardNode,
  statusOf: (shardId: string) => ShardStatus | undefined,
): boolean {
  if (shard.parentShardId === undefined) return true;
  const parent = statusOf(shard.parentShardId);
  return parent === undefined || parent === "finished";
}

/** Ids of the waiting shards that may start now, in the order given. */
export function shardsReadyToStart(
  shards: readonly (ShardNode & { readonly status: ShardStatus })[],
): string[] {
  const status = new Map(shards.map((s) => [s.shardId, s.status]));
  return shards
    .filter((s) => s.status === "waiting" && parentAllowsStart(s, (id) => status.get(id)))
    .map((s) => s.shardId);
}
