import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { S3Client } from "@aws-sdk/client-s3";
import type { DynamoDBRecord } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteSetAside, readSetAside } from "#commons/set-aside.ts";
import type { Runtime } from "#infra/local/runtime.ts";
import { type StreamInvocationRecord, sendToOnFailureTable } from "#infra/local/streams/on-failure.ts";
import { runRedrive } from "#infra/redrive/cli.ts";
import { parkingTotalsSummed } from "../../helpers/parking-totals.ts";
import { startTestRuntime } from "../../helpers/runtime.ts";

/**
 * `npm run redrive` replaying a stored on-failure object into a running local runtime: the object
 * Lambda writes to the S3 on-failure bucket (events/on-failure/), kept in the runtime's on-failure
 * store and described in its set-aside table, as the local pollers leave a batch they gave up on.
 */

const SAMPLE_DIR = fileURLToPath(new URL("../../../events/on-failure/", import.meta.url));
const SAMPLE_KEY = readdirSync(SAMPLE_DIR, { recursive: true, encoding: "utf8" }).find((f) =>
  /T\d{2}\.\d{2}\.\d{2}-[0-9a-f-]{36}$/.test(f),
)!;
const SET_ASIDE = "ripple-set-aside";

const sample = () =>
  JSON.parse(readFileSync(join(SAMPLE_DIR, SAMPLE_KEY), "utf8")) as StreamInvocationRecord & {
    payload: { Records: DynamoDBRecord[] };
  };

/** Totals the sample's records lead to, by this test's own sums over each car park's last image. */
function expectedTotals() {
  const last = new Map<string, Record<string, { N?: string }>>();
  for (const r of sample().payload.Records) {
    last.set(r.dynamodb!.Keys!.carParkId!.S!, r.dynamodb!.NewImage as Record<string, { N?: string }>);
  }
  const sum = (field: string) => [...last.values()].reduce((n, image) => n + BigInt(image[field]!.N!), 0n);
  return {
    carParkCount: BigInt(last.size),
    totalCapacity: sum("capacity"),
    totalOccupied: sum("occupied"),
    totalAvailable: sum("capacity") - sum("occupied"),
  };
}

describe("npm run redrive -- --only on-failure, against a running local runtime", () => {
  let runtime: Runtime;
  let store: string;
  const lines: { out: string[]; err: string[] } = { out: [], err: [] };
  const run = (argv: string[], extra: { s3?: S3Client } = {}) => {
    lines.out.length = 0;
    lines.err.length = 0;
    return runRedrive(argv, {
      out: (line) => lines.out.push(line),
      err: (line) => lines.err.push(line),
      dynamodb: runtime.dynamodb,
      ...extra,
    });
  };

  /** Puts an object in the store and its description in the set-aside table, as a poller that gave up does. */
  async function storeObject(text: string, name = SAMPLE_KEY): Promise<string> {
    const path = join(store, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    const { payload: _records, ...record } = sample();
    await sendToOnFailureTable(runtime.dynamodb, SET_ASIDE, "parking-data", record, undefined, path);
    return path;
  }

  const totals = () => parkingTotalsSummed(runtime.dynamodb);

  beforeAll(async () => {
    runtime = await startTestRuntime({ seedData: false });
    store = mkdtempSync(join(tmpdir(), "ripple-on-failure-test-"));
  }, 120_000);

  afterAll(async () => {
    await runtime?.stop();
    if (store !== undefined) rmSync(store, { recursive: true, force: true });
  });

  it("refuses an object not in Lambda's format with one line and exit 2, sending nothing", async () => {
    // Arrange
    const path = await storeObject(
      JSON.stringify({ Records: sample().payload.Records }),
      "aws/lambda/bad/shardId-1/2025/11/30/2025-11-30T16.41.07-00000000-0000-4000-8000-000000000000",
    );

    // Act
    const code = await run(["--only", "on-failure"]);
    await runtime.settled({ timeoutMs: 60_000 });

    // Assert
    expect(code).toBe(2);
    expect(lines.err).toHaveLength(1);
    expect(lines.err[0]).toMatch(/^redrive: .*bad.*: not an on-failure object; expected what Lambda writes/);
    expect(lines.out).toEqual([]);
    expect(existsSync(path)).toBe(true);
    expect(await totals()).toBeUndefined();
    rmSync(path);
    const { items } = await readSetAside(runtime.dynamodb, SET_ASIDE);
    for (const item of items) await deleteSetAside(runtime.dynamodb, SET_ASIDE, item.id);
  });

  it("replays the stored object's records through the pipeline, then removes the object and its item", async () => {
    // Arrange
    const path = await storeObject(readFileSync(join(SAMPLE_DIR, SAMPLE_KEY), "utf8"));

    // Act
    const code = await run(["--only", "on-failure"]);
    await runtime.settled({ timeoutMs: 120_000 });

    // Assert
    expect(lines.err).toEqual([]);
    expect(code).toBe(0);
    expect(lines.out).toContain(`redriven on-failure: ${path} (3 record(s))`);
    expect(await totals()).toEqual(expectedTotals());
    expect(existsSync(path)).toBe(false);
    const left = (await readSetAside(runtime.dynamodb, SET_ASIDE)).items;
    expect(left.filter((i) => i.kind === "stream-batch-failure")).toEqual([]);
  }, 180_000);

  it("changes nothing when the same object is redriven again: its events are the same events", async () => {
    // Arrange
    const before = await totals();
    const path = await storeObject(readFileSync(join(SAMPLE_DIR, SAMPLE_KEY), "utf8"));

    // Act
    const code = await run(["--only", "on-failure"]);
    await runtime.settled({ timeoutMs: 120_000 });

    // Assert
    expect(code).toBe(0);
    expect(await totals()).toEqual(before);
    expect(existsSync(path)).toBe(false);
  }, 180_000);

  it("says in one line, exit 2, that a set-aside batch's object is gone, sending nothing", async () => {
    // Arrange
    const path = await storeObject(readFileSync(join(SAMPLE_DIR, SAMPLE_KEY), "utf8"));
    rmSync(path);
    const before = await totals();

    // Act
    const code = await run(["--only", "on-failure"]);

    // Assert
    expect(code).toBe(2);
    expect(lines.err).toHaveLength(1);
    expect(lines.err[0]).toContain(`its on-failure object ${path} cannot be read (ENOENT)`);
    expect(await totals()).toEqual(before);
    const { items } = await readSetAside(runtime.dynamodb, SET_ASIDE);
    for (const item of items) await deleteSetAside(runtime.dynamodb, SET_ASIDE, item.id);
  });

  it("says in one line, exit 2, that a --bucket does not exist", async () => {
    // Arrange: an S3 client stubbed at its edge, answering as S3 does for a missing bucket.
    const s3 = new S3Client({ region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "x" } });
    s3.send = (async () => {
      throw Object.assign(new Error("The specified bucket does not exist"), { name: "NoSuchBucket" });
    }) as never;

    // Act
    const code = await run(["--only", "on-failure", "--bucket", "ripple-prod-no-such-bucket"], { s3 });

    // Assert
    expect(code).toBe(2);
    expect(lines.err).toEqual([
      'redrive: bucket "ripple-prod-no-such-bucket" does not exist; give the fan-out\'s on-failure bucket, e.g. --bucket "$(out FanOutOnFailureBucketName)" (docs/runbook.md)',
    ]);
  });
});
