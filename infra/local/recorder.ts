import { closeSync, openSync, writeSync } from "node:fs";
import type { DynamoDBStreamHandler } from "aws-lambda";
import { LocalRuntimeError } from "./errors.ts";

/**
 * `npm start -- --record FILE`: every stream record the pollers deliver to the fan-out, appended
 * to FILE as one JSON line in Lambda's shape — the JSONL `npm run replay` reads.
 *
 * Each line is written with one synchronous `write` as its batch is handed over, so a crash of
 * the runtime loses at most the line being written. A record Lambda delivers again (a retried
 * batch) is written once: replay makes redeliveries itself, on purpose, with `--duplicate`.
 */
export interface StreamRecorder {
  /** The handler, recording each record it is given before running it. */
  wrap(handler: DynamoDBStreamHandler): DynamoDBStreamHandler;
  /** Records written so far. */
  readonly written: number;
  close(): void;
}

/**
 * Opens FILE for appending.
 * @throws {LocalRuntimeError} when it cannot be opened, naming the file and the fix
 */
export function openStreamRecorder(file: string): StreamRecorder {
  let fd: number;
  try {
    fd = openSync(file, "a");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new LocalRuntimeError(
      `--record ${file}: cannot open it for appending (${code}); give a file path in a folder that exists, e.g. --record rec.jsonl`,
    );
  }
  const seen = new Set<string>();
  let written = 0;
  let open = true;
  return {
    wrap: (handler) => (event, context, callback) => {
      for (const record of event.Records) {
        const id = `${record.eventSourceARN}#${record.dynamodb?.SequenceNumber}`;
        if (!open || seen.has(id)) continue;
        seen.add(id);
        writeSync(fd, `${JSON.stringify(record)}\n`);
        written++;
      }
      return handler(event, context, callback);
    },
    get written() {
      return written;
    },
    close: () => {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}
