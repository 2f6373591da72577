import { type FileHandle, mkdir, open, readFile, rename } from "node:fs/promises";
import { dirname } from "node:path";
import { LocalRuntimeError } from "./errors.ts";
import type { EventBridgeEvent } from "./eventbridge/event.ts";

/**
 * What the local runtime has accepted and still owes, kept on disk under `--data` so a stop or a
 * crash loses none of it, as AWS keeps it: the bus's deliveries not yet made (EventBridge keeps
 * an accepted event up to 24 h while it retries) and the consumers' asynchronous invocations
 * not yet run to an end (Lambda's queue keeps them, with their attempt count and age).
 *
 * Why a journal file and not a DynamoDB Local table: a PutEvents answer must wait until the
 * event is safe, so every hand-off is on the critical path of the fan-out; appending a line and
 * one `fdatasync` shared by every hand-off waiting at that moment (group commit) costs a
 * fraction of a millisecond per event, where a table write per hand-off would add an HTTP round
 * trip through the same java process the consumers are already contending on, and would have to
 * be kept out of the deployed template and the CDK/local agreement. The journal is local-only by
 * construction and survives DynamoDB Local's own restarts.
 *
 * Format: one JSON object per line — `put` (a new hand-off with all it needs to resume), `update`
 * (attempt count and when the next attempt is due) and `done`. A line torn by a crash mid-write is
 * the last one and is skipped. At open, and when done lines outnumber live ones, the file is
 * rewritten with only what is still owed (to a temporary name, fsynced, then renamed).
 */
export type Handoff =
  | {
      readonly kind: "delivery";
      readonly id: string;
      readonly ruleName: string;
      readonly eventBusName: string;
      readonly targetId: string;
      readonly event: EventBridgeEvent;
      /** When the bus accepted the event (ms since the epoch): its age counts from here. */
      readonly receivedAt: number;
      /** Failed attempts so far. */
      readonly retries: number;
      /** When the next attempt is due (ms since the epoch). */
      readonly dueAt: number;
    }
  | {
      readonly kind: "invocation";
      readonly id: string;
      readonly functionName: string;
      readonly event: EventBridgeEvent;
      /** When Lambda queued the event (ms since the epoch): its age counts from here. */
      readonly queuedAt: number;
      readonly retries: number;
      readonly dueAt: number;
    };

type Line =
  | { readonly op: "put"; readonly entry: Handoff }
  | { readonly op: "update"; readonly id: string; readonly retries: number; readonly dueAt: number }
  | { readonly op: "done"; readonly id: string };

/** The journal file cannot be read or written. */
export class HandoffJournalError extends LocalRuntimeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HandoffJournalError";
  }
}

/** Lines written since the last rewrite before a rewrite is considered. */
const COMPACT_AFTER_LINES = 20_000;

/**
 * The runtime's journal of hand-offs; {@link HandoffJournal.inMemory} keeps nothing (without
 * `--data`, as before: a stop or a crash loses what is owed, and `npm start` says so).
 *
 * @example
 * const journal = await HandoffJournal.open(join(dataDir, "handoffs", "journal.jsonl"));
 * journal.put(entry); await journal.persisted(); // now safe to answer PutEvents
 */
export class HandoffJournal {
  private readonly live = new Map<string, Handoff>();
  private buffer: string[] = [];
  private flushing: Promise<void> | undefined;
  private linesSinceRewrite = 0;
  private handle: FileHandle | undefined;
  private failure: Error | undefined;

  private constructor(private readonly file: string | undefined) {}

  /** A journal that keeps nothing on disk. */
  static inMemory(): HandoffJournal {
    return new HandoffJournal(undefined);
  }

  /**
   * Loads what the file says is still owed, rewrites it with only that, and opens it for appending.
   * @throws {HandoffJournalError} when the file cannot be read or written
   */
  static async open(file: string): Promise<HandoffJournal> {
    const journal = new HandoffJournal(file);
    let text = "";
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        throw new HandoffJournalError(
          `cannot read the hand-off journal ${file}: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
    }
    for (const raw of text.split("\n")) {
      if (raw === "") continue;
      let line: Line;
      try {
        line = JSON.parse(raw) as Line;
      } catch {
        continue; // the line a crash tore mid-write
      }
      journal.apply(line);
    }
    try {
      await mkdir(dirname(file), { recursive: true });
      await journal.rewrite();
    } catch (error) {
      throw new HandoffJournalError(
        `cannot write the hand-off journal ${file}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    return journal;
  }

  /** Whether hand-offs survive a stop or a crash. */
  get durable(): boolean {
    return this.file !== undefined;
  }

  /** What is still owed, of one kind, as loaded at open or recorded since. */
  pending<K extends Handoff["kind"]>(kind: K): Extract<Handoff, { kind: K }>[] {
    return [...this.live.values()].filter((e): e is Extract<Handoff, { kind: K }> => e.kind === kind);
  }

  /** Records a new hand-off (on disk by the next {@link persisted}). */
  put(entry: Handoff): void {
    this.record({ op: "put", entry });
  }

  /** Records a failed attempt: the count so far and when the next one is due. */
  update(id: string, retries: number, dueAt: number): void {
    if (this.live.has(id)) this.record({ op: "update", id, retries, dueAt });
  }

  /** Records that a hand-off is over: delivered, run, dead-lettered or given up. */
  done(id: string): void {
    if (this.live.has(id)) this.record({ op: "done", id });
  }

  /**
   * Resolves once every line recorded so far is on disk (written and fdatasync'd).
   * @throws {HandoffJournalError} when the disk refused a write
   */
  async persisted(): Promise<void> {
    if (this.file === undefined) return;
    while (this.buffer.length > 0 || this.flushing !== undefined) {
      this.flushing ??= this.flush();
      await this.flushing;
    }
    if (this.failure !== undefined) throw this.failure;
  }

  /** Writes what is left and closes the file; what is still owed stays in it for the next start. */
  async close(): Promise<void> {
    try {
      await this.persisted();
    } finally {
      await this.handle?.close();
      this.handle = undefined;
    }
  }

  private apply(line: Line): void {
    if (line.op === "put") this.live.set(line.entry.id, line.entry);
    else if (line.op === "done") this.live.delete(line.id);
    else {
      const entry = this.live.get(line.id);
      if (entry !== undefined) this.live.set(line.id, { ...entry, retries: line.retries, dueAt: line.dueAt });
    }
  }

  private record(line: Line): void {
    this.apply(line);
    if (this.file === undefined) return;
    this.buffer.push(`${JSON.stringify(line)}\n`);
    this.flushing ??= this.flush();
  }

  /** Group commit: one write and one fdatasync for every line recorded meanwhile. */
  private async flush(): Promise<void> {
    try {
      while (this.buffer.length > 0) {
        const lines = this.buffer;
        this.buffer = [];
        this.linesSinceRewrite += lines.length;
        if (this.linesSinceRewrite > COMPACT_AFTER_LINES && this.linesSinceRewrite > 4 * this.live.size) {
          await this.rewrite();
          continue;
        }
        const handle = this.handle as FileHandle;
        await handle.write(lines.join(""));
        await handle.datasync();
      }
    } catch (error) {
      this.failure = new HandoffJournalError(
        `cannot append to the hand-off journal ${this.file}: ${(error as Error).message}; free disk space or fix the folder's permissions, then restart`,
        { cause: error },
      );
    } finally {
      this.flushing = undefined;
    }
  }

  /** Replaces the file with one `put` line per hand-off still owed. */
  private async rewrite(): Promise<void> {
    const file = this.file as string;
    const temporary = `${file}.${process.pid}.tmp`;
    const text = [...this.live.values()].map((entry) => `${JSON.stringify({ op: "put", entry })}\n`).join("");
    const out = await open(temporary, "w");
    try {
      await out.write(text);
      await out.sync();
    } finally {
      await out.close();
    }
    await this.handle?.close();
    await rename(temporary, file);
    const folder = await open(dirname(file), "r");
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
    this.handle = await open(file, "a");
    this.linesSinceRewrite = 0;
  }
}
