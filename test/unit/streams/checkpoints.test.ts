import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CheckpointStore } from "#infra/local/streams/checkpoints.ts";
import { CheckpointFileError } from "#infra/local/streams/errors.ts";

const ARN = "arn:aws:dynamodb:ddblocal:000000000000:table/PetStore/stream/2026-11-23T19:25:16.432";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "ripple-checkpoints-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("CheckpointStore", () => {
  it("reads back what an earlier run wrote", async () => {
    // Arrange
    const file = join(dir, "nested", "mapping.json");
    const first = await CheckpointStore.open(ARN, file);
    first.advance("shard-1", "000000000000000000007");
    first.finish("shard-0");
    await first.flush();

    // Act
    const second = await CheckpointStore.open(ARN, file);

    // Assert
    expect(second.get("shard-1")).toEqual({ sequenceNumber: "000000000000000000007" });
    expect(second.get("shard-0")).toEqual({ finished: true });
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual(second.snapshot());
  });

  it("starts over for a different stream (the table was recreated)", async () => {
    // Arrange
    const file = join(dir, "mapping.json");
    const first = await CheckpointStore.open(ARN, file);
    first.advance("shard-1", "5");
    await first.flush();

    // Act
    const other = await CheckpointStore.open(`${ARN}0`, file);

    // Assert
    expect(other.get("shard-1")).toBeUndefined();
  });

  it("starts empty when the file does not exist yet", async () => {
    // Arrange
    const file = join(dir, "missing.json");

    // Act
    const store = await CheckpointStore.open(ARN, file);

    // Assert
    expect(store.snapshot()).toEqual({ version: 1, streamArn: ARN, shards: {} });
  });

  it.each([
    { description: "text that is not JSON", text: "{oops", says: /is not JSON .*delete it/ },
    { description: "JSON of another shape", text: '{"shards":[]}', says: /not a ripple checkpoint document/ },
  ])("throws naming the file for $description", async ({ text, says }) => {
    // Arrange
    const file = join(dir, "bad.json");
    await writeFile(file, text);

    // Act
    const opening = CheckpointStore.open(ARN, file);

    // Assert
    await expect(opening).rejects.toThrow(CheckpointFileError);
    await expect(opening).rejects.toThrow(says);
  });
});
