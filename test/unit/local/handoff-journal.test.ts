import { spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { EventBridgeEvent } from "#infra/local/eventbridge/delivery.ts";
import { HandoffJournal, HandoffJournalError } from "#infra/local/handoff-journal.ts";
import { launchers, watchLaunchers } from "#infra/local/launcher-watch.ts";

const folder = mkdtempSync(join(tmpdir(), "ripple-journal-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const event = (id: string): EventBridgeEvent => ({
  version: "0",
  id,
  "detail-type": "PetListed",
  source: "ripple.pets",
  account: "000000000000",
  time: "2026-01-02T03:04:05Z",
  region: "us-east-1",
  resources: [],
  detail: { data: { id: 1 } },
});

const invocation = (id: string, functionName = "ripple-store-stats") => ({
  kind: "invocation" as const,
  id,
  functionName,
  event: event(id),
  queuedAt: 1_000,
  retries: 0,
  dueAt: 1_000,
});

describe("HandoffJournal", () => {
  it("gives back, after a reopen, what is still owed with its attempt count and due time", async () => {
    // Arrange
    const file = join(folder, "reopen", "journal.jsonl");
    const journal = await HandoffJournal.open(file);
    journal.put(invocation("a"));
    journal.put(invocation("b"));
    journal.put(invocation("c"));
    journal.update("b", 2, 5_000);
    journal.done("c");
    await journal.close();

    // Act
    const reopened = await HandoffJournal.open(file);

    // Assert
    expect(reopened.pending("invocation").map((e) => [e.id, e.retries, e.dueAt])).toEqual([
      ["a", 0, 1_000],
      ["b", 2, 5_000],
    ]);
    expect(reopened.pending("delivery")).toEqual([]);
    await reopened.close();
  });

  it("is on disk once persisted resolves, before any close (what a kill -9 leaves)", async () => {
    // Arrange
    const file = join(folder, "persisted.jsonl");
    const journal = await HandoffJournal.open(file);

    // Act
    journal.put(invocation("kept"));
    await journal.persisted();

    // Assert
    expect(readFileSync(file, "utf8")).toContain('"id":"kept"');
    await journal.close();
  });

  it("skips a last line a crash tore mid-write and keeps every whole one", async () => {
    // Arrange
    const file = join(folder, "torn.jsonl");
    writeFileSync(file, `${JSON.stringify({ op: "put", entry: invocation("whole") })}\n`);
    appendFileSync(file, '{"op":"put","entry":{"kind":"invoc');

    // Act
    const journal = await HandoffJournal.open(file);

    // Assert
    expect(journal.pending("invocation").map((e) => e.id)).toEqual(["whole"]);
    await journal.close();
  });

  it("refuses a journal path it cannot write, saying which file", async () => {
    // Arrange
    const notAFolder = join(folder, "plain-file");
    writeFileSync(notAFolder, "");
    const file = join(notAFolder, "journal.jsonl");

    // Act
    const opening = HandoffJournal.open(file);

    // Assert
    await expect(opening).rejects.toThrow(HandoffJournalError);
    await expect(opening).rejects.toThrow(`hand-off journal ${file}`);
  });

  it("keeps nothing on disk in memory, and says it is not durable", async () => {
    // Act
    const journal = HandoffJournal.inMemory();
    journal.put(invocation("x"));
    await journal.persisted();
    // Assert
    expect(journal.durable).toBe(false);
    expect(journal.pending("invocation").map((e) => e.id)).toEqual(["x"]);
  });
});

describe("watchLaunchers", () => {
  it("finds this process's parent among its launchers", () => {
    // Act
    const found = launchers();
    // Assert
    expect(found.map((l) => l.pid)).toContain(process.ppid);
  });

  it("calls back once a launcher exits", async () => {
    // Arrange
    const sleeper = spawn("sleep", ["30"]);
    const pid = sleeper.pid as number;
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const startTime = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] as string;
    const gone = new Promise<number>((resolve) => {
      watchLaunchers((launcher) => resolve(launcher.pid), {
        intervalMs: 50,
        watched: [{ pid, startTime, name: "sleep" }],
      });
    });

    // Act
    sleeper.kill("SIGKILL");

    // Assert
    expect(await gone).toBe(pid);
  });
});
