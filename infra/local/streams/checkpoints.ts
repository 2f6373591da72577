import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { CheckpointFileError } from "./errors.ts";

/**
 * Per-shard positions of one event source mapping, kept in memory and, when a file is given,
 * persisted to it so a restarted runtime resumes where it stopped (with `--data DIR`).
 *
 * A checkpoint is the sequence number of the last record fully handled (delivered, filtered out
 * or given up); reading resumes AFTER it. A finished shard was read to its end and processed, so
 * its children may be read. The file is written whole to a temporary name and renamed, so a crash
 * leaves the old or the new version, never half of one.
 */

export interface ShardCheckpoint {
  /** @default nothing handled yet */
  readonly sequenceNumber?: string;
  /** @default false */
  readonly finished?: boolean;
}

/** The checkpoint file's document. */
export interface CheckpointDocument {
  readonly version: 1;
  /** Checkpoints belong to one stream; a recreated table has a new stream and starts over. */
  readonly streamArn: string;
  readonly shards: Readonly<Record<string, ShardCheckpoint>>;
}

export class CheckpointStore {
  private readonly shards = new Map<string, ShardCheckpoint>();
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;
  /** The last failed write, if the latest write failed too; the next change tries again. */
  writeError: Error | undefined;

  private constructor(
    readonly streamArn: string,
    private readonly file: string | undefined,
  ) {}

  /** Loads the file's checkpoints for this stream (none when the file is absent or for another stream). */
  static async open(streamArn: string, file?: string): Promise<CheckpointStore> {
    const store = new CheckpointStore(streamArn, file);
    if (file === undefined) return store;
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return store;
      throw new CheckpointFileError(`cannot read checkpoint file ${file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    let doc: CheckpointDocument;
    try {
      doc = JSON.parse(text) as CheckpointDocument;
    } catch (error) {
      throw new CheckpointFileError(
        `checkpoint file ${file} is not JSON (${(error as Error).message}); delete it to start the mapping over from its starting position`,
        { cause: error },
      );
    }
    if (doc?.version !== 1 || typeof doc.shards !== "object" || doc.shards === null) {
      throw new CheckpointFileError(
        `checkpoint file ${file} is not a ripple checkpoint document (expected {"version":1,"streamArn":…,"shards":{…}}); delete it to start the mapping over`,
      );
    }
    if (doc.streamArn !== streamArn) return store;
    for (const [shardId, checkpoint] of Object.entries(doc.shards)) store.shards.set(shardId, checkpoint);
    return store;
  }

  get(shardId: string): ShardCheckpoint | undefined {
    return this.shards.get(shardId);
  }

  /** Records that everything up to and including `sequenceNumber` is handled. */
  advance(shardId: string, sequenceNumber: string): void {
    const current = this.shards.get(shardId);
    if (current?.sequenceNumber === sequenceNumber) return;
    this.shards.set(shardId, { ...current, sequenceNumber });
    this.schedule();
  }

  /** Records that the shard was read to its end and processed. */
  finish(shardId: string): void {
    this.shards.set(shardId, { ...this.shards.get(shardId), finished: true });
    this.schedule();
  }

  /** The document as it would be written now. */
  snapshot(): CheckpointDocument {
    return { version: 1, streamArn: this.streamArn, shards: Object.fromEntries(this.shards) };
  }

  /** Resolves once every change so far is on disk. */
  async flush(): Promise<void> {
    this.schedule();
    await this.writing;
  }

  private schedule(): void {
    if (this.file === undefined) return;
    this.dirty = true;
    const file = this.file;
    this.writing = this.writing
      .then(async () => {
        if (!this.dirty) return;
        this.dirty = false;
        const temporary = `${file}.${process.pid}.tmp`;
        await mkdir(dirname(file), { recursive: true });
        await writeFile(temporary, `${JSON.stringify(this.snapshot(), null, 2)}\n`);
        await rename(temporary, file);
        this.writeError = undefined;
      })
      .catch((error: unknown) => {
        this.writeError = error instanceof Error ? error : new Error(String(error));
        this.dirty = true;
      });
  }
}
