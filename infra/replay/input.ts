import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, relative } from "node:path";
import type { DynamoDBRecord } from "aws-lambda";
import { isOnFailureObjectName } from "../local/streams/on-failure.ts";
import { tableNameFromStreamArn } from "../topology.ts";
import { ReplayInputError } from "./errors.ts";

/**
 * Reading recorded stream records for `npm run replay`, in the three shapes users have them:
 * - JSONL, one record per line, as `npm start -- --record FILE` writes it;
 * - a Lambda event, `{"Records": [...]}`, as in `events/`;
 * - the object Lambda writes to an S3 on-failure destination: the invocation record with the
 *   whole event under `payload` (a JSON string or an object). In a folder these are found by
 *   their key's last part, which has no extension (`2025-11-30T16.41.07-<uuid>`).
 * Everything is checked before anything is replayed, so bad input writes nothing.
 */

/** One record to replay, with where it was read. */
export interface InputRecord {
  readonly record: DynamoDBRecord;
  /** Physical table name, from the record's `eventSourceARN`. */
  readonly table: string;
  /** `file:line` (JSONL) or `file record N` (JSON), for messages. */
  readonly where: string;
}

const EVENT_NAMES = new Set(["INSERT", "MODIFY", "REMOVE"]);
const FORMS =
  'a JSONL file with one stream record per line (what `npm start -- --record FILE` writes), a Lambda event {"Records": [...]}, or an S3 on-failure object with its "payload"';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The files a path names: itself, or every `.json`/`.jsonl` and on-failure object under a folder, sorted. */
function filesOf(path: string): string[] {
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch {
    throw new ReplayInputError(`${path}: no such file or folder; give ${FORMS}, or a folder of them`);
  }
  if (!stats.isDirectory()) return [path];
  return readdirSync(path, { recursive: true, encoding: "utf8" })
    .filter((name) => /\.jsonl?$/.test(name) || isOnFailureObjectName(basename(name)))
    .sort()
    .map((name) => join(path, name))
    .filter((file) => statSync(file).isFile());
}

/** The records a parsed JSON value holds: an event, an on-failure object, an array or one record. */
function recordsOf(value: unknown, where: string): unknown[] {
  if (Array.isArray(value)) return value;
  if (!isObject(value)) {
    throw new ReplayInputError(
      `${where}: expected a stream record or an object holding them, got ${typeof value}; give ${FORMS}`,
    );
  }
  if (Array.isArray(value.Records)) return value.Records;
  if ("payload" in value) {
    let payload = value.payload;
    if (typeof payload === "string") {
      try {
        payload = JSON.parse(payload);
      } catch (error) {
        throw new ReplayInputError(
          `${where}: the on-failure object's "payload" is not JSON (${(error as Error).message}); give the object exactly as Lambda wrote it to S3`,
        );
      }
    }
    if (isObject(payload) && Array.isArray(payload.Records)) return payload.Records;
    throw new ReplayInputError(
      `${where}: the on-failure object's "payload" holds no "Records"; only objects from an S3 on-failure destination carry the records (SQS and SNS destinations keep only the batch's description)`,
    );
  }
  if ("DDBStreamBatchInfo" in value) {
    throw new ReplayInputError(
      `${where}: an on-failure invocation record without "payload" describes a batch but holds none of its records; read them from the stream by its sequence-number range, or use an S3 on-failure destination`,
    );
  }
  return [value];
}

/**
 * Checks one record: a DynamoDB stream record of a declared table, with its keys and sequence number.
 * @throws {ReplayInputError} naming where it was read, what is wrong and the fix
 */
function checkRecord(value: unknown, where: string, declaredTables: ReadonlySet<string>): InputRecord {
  if (!isObject(value))
    throw new ReplayInputError(`${where}: a stream record must be an object, got ${JSON.stringify(value)}`);
  const arn = value.eventSourceARN;
  const table = typeof arn === "string" ? tableNameFromStreamArn(arn) : undefined;
  if (table === undefined) {
    throw new ReplayInputError(
      `${where}: eventSourceARN ${JSON.stringify(arn)} is not a DynamoDB stream ARN; expected arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL, as Lambda delivers it`,
    );
  }
  if (!declaredTables.has(table)) {
    throw new ReplayInputError(
      `${where}: table "${table}" is not declared (declared: ${[...declaredTables].sort().join(", ")}); remove the record or declare the table in infra/pipeline.ts`,
    );
  }
  if (typeof value.eventName !== "string" || !EVENT_NAMES.has(value.eventName)) {
    throw new ReplayInputError(
      `${where}: eventName must be INSERT, MODIFY or REMOVE (given ${JSON.stringify(value.eventName)})`,
    );
  }
  const dynamodb = value.dynamodb;
  if (!isObject(dynamodb) || !isObject(dynamodb.Keys)) {
    throw new ReplayInputError(
      `${where}: the record has no dynamodb.Keys; a stream record always carries the item's key`,
    );
  }
  const sequenceNumber = dynamodb.SequenceNumber;
  if (typeof sequenceNumber !== "string" || !/^\d{1,40}$/.test(sequenceNumber)) {
    throw new ReplayInputError(
      `${where}: dynamodb.SequenceNumber must be a string of digits (given ${JSON.stringify(sequenceNumber)}); replay orders each item's changes by it, e.g. "4421584500000000017450439091"`,
    );
  }
  return { record: value as unknown as DynamoDBRecord, table, where };
}

function parse(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ReplayInputError(`${where}: not JSON (${(error as Error).message}); give ${FORMS}`);
  }
}

/** The records of one file, checked. */
function readFile(file: string, declaredTables: ReadonlySet<string>): InputRecord[] {
  const name = relative(process.cwd(), file) || file;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ReplayInputError(
      `${name}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  const out: InputRecord[] = [];
  if (file.endsWith(".jsonl")) {
    text.split("\n").forEach((line, index) => {
      if (line.trim() === "") return;
      const where = `${name}:${index + 1}`;
      for (const value of recordsOf(parse(line, where), where))
        out.push(checkRecord(value, where, declaredTables));
    });
    return out;
  }
  recordsOf(parse(text, name), name).forEach((value, index) => {
    out.push(checkRecord(value, `${name} record ${index + 1}`, declaredTables));
  });
  return out;
}

/**
 * The records of one on-failure object, checked: what `npm run redrive` reads from the on-failure
 * bucket or the local on-failure store. Anything but an invocation record with its `payload` is
 * refused, naming `where`.
 * @throws {ReplayInputError} naming where, what is wrong and what is expected
 */
export function readOnFailureObject(
  text: string,
  where: string,
  declaredTables: ReadonlySet<string>,
): InputRecord[] {
  const value = parse(text, where);
  if (!isObject(value) || !isObject(value.DDBStreamBatchInfo) || !("payload" in value)) {
    throw new ReplayInputError(
      `${where}: not an on-failure object; expected what Lambda writes to an S3 on-failure destination, {"requestContext": {...}, "DDBStreamBatchInfo": {...}, "payload": {"Records": [...]}} (events/on-failure/ holds one)`,
    );
  }
  return recordsOf(value, where).map((record, index) =>
    checkRecord(record, `${where} record ${index + 1}`, declaredTables),
  );
}

/**
 * Reads every record the paths hold, in file order.
 * @throws {ReplayInputError} at the first thing that cannot be replayed
 */
export function readRecords(paths: readonly string[], declaredTables: ReadonlySet<string>): InputRecord[] {
  const files = paths.flatMap(filesOf);
  if (files.length === 0) {
    throw new ReplayInputError(`${paths.join(", ")}: no .json or .jsonl file found; give ${FORMS}`);
  }
  return files.flatMap((file) => readFile(file, declaredTables));
}
