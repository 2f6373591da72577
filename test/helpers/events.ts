import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";

const EVENTS_DIR = fileURLToPath(new URL("../../events/", import.meta.url));
/**
 * Records no declared table produces, so not part of `events/` (which `npm run replay -- events/`
 * replays whole): `undeclared-table/insert.json` is a record of table `orders`.
 */
const FIXTURES_DIR = fileURLToPath(new URL("../fixtures/", import.meta.url));
const cache = new Map<string, string>();

function text(path: string): string {
  let body = cache.get(path);
  if (body === undefined) {
    const dir = path.startsWith("undeclared-table/") ? FIXTURES_DIR : EVENTS_DIR;
    body = readFileSync(`${dir}${path}`, "utf8");
    cache.set(path, body);
  }
  return body;
}

/**
 * Loads a recorded DynamoDB stream event from `events/<source>/<name>.json` (or the undeclared-table
 * fixture), as a fresh deep
 * clone each call so a test may change it freely.
 *
 * @example
 * const event = loadStreamEvent("parking-data/insert.json");
 */
export function loadStreamEvent(path: string): DynamoDBStreamEvent {
  return JSON.parse(text(path)) as DynamoDBStreamEvent;
}

/** The records of several recorded events, in the order given, as one fresh list. */
export function loadStreamRecords(...paths: string[]): DynamoDBRecord[] {
  return paths.flatMap((path) => loadStreamEvent(path).Records);
}

/** The single record of a recorded event. */
export function loadStreamRecord(path: string): DynamoDBRecord {
  const [record, ...rest] = loadStreamEvent(path).Records;
  if (record === undefined || rest.length > 0) {
    throw new Error(`events/${path} holds ${rest.length + (record ? 1 : 0)} records; expected exactly one`);
  }
  return record;
}
