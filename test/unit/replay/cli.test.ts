import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pipeline } from "#infra/pipeline.ts";
import { parseReplayArgs, runReplay } from "#infra/replay/cli.ts";
import { loadStreamRecord } from "../../helpers/events.ts";

const dir = mkdtempSync(join(tmpdir(), "ripple-replay-input-"));
const good = JSON.stringify(loadStreamRecord("PetStore/insert.json"));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const withoutSequence = (() => {
  const record = loadStreamRecord("PetStore/insert.json");
  delete (record.dynamodb as { SequenceNumber?: string }).SequenceNumber;
  return JSON.stringify(record);
})();

describe("npm run replay, given input it cannot replay", () => {
  it.each([
    {
      description: "a missing file",
      args: [join(dir, "nope.jsonl")],
      says: /nope\.jsonl: no such file or folder/,
    },
    { description: "no file at all", args: [], says: /give at least one file or folder/ },
    {
      description: "a line that is not JSON",
      args: [file("bad-line.jsonl", `${good}\n{"eventName": \n`)],
      says: /bad-line\.jsonl:2: not JSON/,
    },
    {
      description: "a record of an undeclared table",
      args: [join(process.cwd(), "test/fixtures/undeclared-table/insert.json")],
      says: /table "orders" is not declared \(declared: .*PetStore.*\); remove the record or declare the table/,
    },
    {
      description: "a record with no sequence number",
      args: [file("no-sequence.jsonl", `${good}\n${withoutSequence}\n`)],
      says: /no-sequence\.jsonl:2: dynamodb\.SequenceNumber must be a string of digits \(given undefined\)/,
    },
    {
      description: "an on-failure record that holds no records (an SQS destination's)",
      args: [
        file(
          "sqs-on-failure.json",
          JSON.stringify({ version: "1.0", DDBStreamBatchInfo: { shardId: "s", startSequenceNumber: "1" } }),
        ),
      ],
      says: /describes a batch but holds none of its records/,
    },
    { description: "an unknown flag", args: ["--fast", "x.jsonl"], says: /Unknown option '--fast'/ },
    {
      description: "a chance above 1",
      args: ["--duplicate", "2", "x.jsonl"],
      says: /--duplicate must be a chance between 0 and 1/,
    },
    {
      description: "a rate of 0",
      args: ["--rate", "0", "x.jsonl"],
      says: /--rate must be a number of records per second above 0/,
    },
    {
      description: "an endpoint without a token",
      args: ["--endpoint", "http://127.0.0.1:3000", "x.jsonl"],
      says: /--endpoint needs the runtime's API token/,
    },
  ])("exits 2 with one clear line for $description, and starts nothing", async ({ args, says }) => {
    // Arrange
    const out: string[] = [];
    const err: string[] = [];

    // Act
    const code = await runReplay(args, pipeline, {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      env: {},
    });

    // Assert
    expect(code).toBe(2);
    expect(err.join("\n")).toMatch(says);
    expect(out).toEqual([]);
  });
});

describe("replay's flags", () => {
  it("reads every option", () => {
    // Act
    const flags = parseReplayArgs(
      [
        "a.jsonl",
        "dir/",
        "--duplicate",
        "0.2",
        "--shuffle",
        "--rate",
        "50",
        "--seed",
        "9",
        "--out",
        "o.json",
      ],
      {},
    );

    // Assert
    expect(flags).toEqual({
      paths: ["a.jsonl", "dir/"],
      duplicate: 0.2,
      shuffle: true,
      ratePerSecond: 50,
      seed: 9,
      out: "o.json",
      help: false,
    });
  });

  it("takes the token for --endpoint from RIPPLE_API_TOKEN", () => {
    // Act
    const flags = parseReplayArgs(["--endpoint", "http://127.0.0.1:3000", "a.jsonl"], {
      RIPPLE_API_TOKEN: "t",
    });

    // Assert
    expect(flags).toMatchObject({ endpoint: "http://127.0.0.1:3000", token: "t" });
  });
});
