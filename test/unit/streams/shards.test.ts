import { describe, expect, it } from "vitest";
import { type ShardStatus, shardsReadyToStart } from "#infra/local/streams/shards.ts";

const shard = (shardId: string, status: ShardStatus, parentShardId?: string) => ({
  shardId,
  status,
  ...(parentShardId === undefined ? {} : { parentShardId }),
});

describe("shardsReadyToStart", () => {
  it.each([
    { description: "a shard without parent", shards: [shard("a", "waiting")], ready: ["a"] },
    {
      description: "a child whose parent is still being read",
      shards: [shard("p", "reading"), shard("c", "waiting", "p")],
      ready: [],
    },
    {
      description: "a child whose parent waits itself",
      shards: [shard("p", "waiting"), shard("c", "waiting", "p")],
      ready: ["p"],
    },
    {
      description: "a child whose parent is finished",
      shards: [shard("p", "finished"), shard("c", "waiting", "p")],
      ready: ["c"],
    },
    {
      description: "a child whose parent was trimmed away",
      shards: [shard("c", "waiting", "gone")],
      ready: ["c"],
    },
    {
      description: "both children of a split, once the parent is finished",
      shards: [
        shard("p", "finished"),
        shard("c1", "waiting", "p"),
        shard("c2", "waiting", "p"),
        shard("g", "waiting", "c1"),
      ],
      ready: ["c1", "c2"],
    },
    {
      description: "shards already reading or finished",
      shards: [shard("a", "reading"), shard("b", "finished")],
      ready: [],
    },
  ])("starts $description only when its parent allows", ({ shards, ready }) => {
    // Arrange
    // Act
    const started = shardsReadyToStart(shards);

    // Assert
    expect(started).toEqual(ready);
  });
});
