import { readFile, rm } from "node:fs/promises";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from "@aws-sdk/client-s3";
import { deleteSetAside, readSetAside } from "#commons/set-aside.ts";
import { SetAsideKinds, type StreamBatchFailureSetAside } from "#schemas/set-aside.ts";
import type { PipelineDeclaration } from "../declaration.ts";
import { fanOutConfig } from "../function-config.ts";
import { resolvePipeline } from "../model.ts";
import { ReplayInputError } from "../replay/errors.ts";
import { type InputRecord, readOnFailureObject } from "../replay/input.ts";
import { deliver } from "../replay/replay.ts";
import { RedriveInputError } from "./errors.ts";

/**
 * Redriving the batches the fan-out's stream mappings gave up on: the objects Lambda wrote to the
 * S3 on-failure bucket (`--bucket`), or those the local pollers wrote to the runtime's on-failure
 * store (found through their `stream-batch-failure` set-aside items). Every object is read and
 * checked before anything is sent; their records then go to the fan-out in each item's sequence
 * order, in batches, through the very code `npm run replay` delivers with. An object whose records
 * all went through (published or set aside) is removed; one the fan-out still refused stays.
 */

/** Where Lambda puts on-failure objects in a bucket. */
const KEY_PREFIX = "aws/lambda/";

/** One stored on-failure object. */
export interface StoredObject {
  /** Its S3 key, or its path in the local store. */
  readonly name: string;
  readonly text: string;
  /** Removes it (and, locally, its set-aside item) once its records went through. */
  remove(): Promise<void>;
}

/** The result of a redrive of on-failure objects. */
export interface OnFailureRedriveResult {
  readonly redriven: readonly { readonly name: string; readonly records: number }[];
  readonly failed: readonly { readonly name: string; readonly reason: string }[];
}

function s3ErrorLine(bucket: string, error: Error): string {
  const name = error.name;
  if (name === "NoSuchBucket" || name === "NotFound") {
    return `bucket "${bucket}" does not exist; give the fan-out's on-failure bucket, e.g. --bucket "$(out FanOutOnFailureBucketName)" (docs/runbook.md)`;
  }
  if (name === "AccessDenied" || name === "Forbidden" || name === "AllAccessDisabled") {
    return `bucket "${bucket}" refused access (${error.message}); redrive needs s3:ListBucket, s3:GetObject and s3:DeleteObject on it`;
  }
  return `bucket "${bucket}" could not be read (${name}: ${error.message})`;
}

/**
 * Every on-failure object of a bucket, oldest key first within each mapping and shard, read with the
 * SDK's paginator.
 * @throws {RedriveInputError} when the bucket is missing or refuses access
 */
export async function bucketObjects(s3: S3Client, bucket: string): Promise<StoredObject[]> {
  const objects: StoredObject[] = [];
  try {
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: KEY_PREFIX })) {
      for (const { Key } of page.Contents ?? []) {
        if (Key === undefined) continue;
        const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
        const text = (await body.Body?.transformToString("utf8")) ?? "";
        objects.push({
          name: `s3://${bucket}/${Key}`,
          text,
          remove: async () => {
            await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
          },
        });
      }
    }
  } catch (error) {
    if (error instanceof RedriveInputError) throw error;
    throw new RedriveInputError(s3ErrorLine(bucket, error as Error), { cause: error });
  }
  return objects;
}

/**
 * The local on-failure store's objects, through the set-aside items that describe them. Items
 * without an object (a batch given up with no store) are returned apart: they hold no records.
 * @throws {RedriveInputError} when an item names an object that is gone
 */
export async function localObjects(
  dynamodb: DynamoDBClient,
  setAsideTable: string,
  select: (id: string) => boolean = () => true,
): Promise<{ objects: StoredObject[]; described: StreamBatchFailureSetAside[] }> {
  const { items } = await readSetAside(dynamodb, setAsideTable, { kind: SetAsideKinds.streamBatchFailure });
  const batches = items
    .filter((i): i is StreamBatchFailureSetAside => i.kind === SetAsideKinds.streamBatchFailure)
    .filter((i) => select(i.id))
    .sort((a, b) => (a.object ?? "").localeCompare(b.object ?? ""));
  const objects: StoredObject[] = [];
  for (const item of batches) {
    const path = item.object;
    if (path === undefined) continue;
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      throw new RedriveInputError(
        `${item.id}: its on-failure object ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); it lives in the on-failure store of the runtime that wrote it (under its --data folder): run redrive while that runtime's data is there, or delete the item if the batch is no longer wanted`,
        { cause: error },
      );
    }
    objects.push({
      name: path,
      text,
      remove: async () => {
        await rm(path, { force: true });
        await deleteSetAside(dynamodb, setAsideTable, item.id);
      },
    });
  }
  return { objects, described: batches.filter((i) => i.object === undefined) };
}

/** Sets the fan-out's configuration variable for these names, as the stack or the runtime sets it. */
function configureFanOut(
  pipeline: PipelineDeclaration,
  names: { readonly busName: string; readonly physicalName: (key: string) => string },
) {
  const model = resolvePipeline(pipeline);
  process.env[model.fanOut.configVariable] = JSON.stringify(
    fanOutConfig(model.fanOut, { table: names.physicalName, busName: names.busName }),
  );
}

/**
 * Reads and checks every object before anything is sent: its records, by object name.
 * @throws {RedriveInputError} when an object is not an on-failure object or holds a record of an
 *   undeclared table (the message names the object and what is wrong)
 */
export function checkOnFailureObjects(
  objects: readonly StoredObject[],
  declaredTables: ReadonlySet<string>,
): ReadonlyMap<string, InputRecord[]> {
  const perObject = new Map<string, InputRecord[]>();
  try {
    for (const o of objects) perObject.set(o.name, readOnFailureObject(o.text, o.name, declaredTables));
  } catch (error) {
    if (!(error instanceof ReplayInputError)) throw error;
    throw new RedriveInputError(error.message, { cause: error });
  }
  return perObject;
}

/**
 * Replays the checked objects' records through the fan-out, in each item's sequence order, and
 * removes each object whose records all went through (published or set aside by the fan-out).
 */
export async function redriveOnFailure(
  objects: readonly StoredObject[],
  perObject: ReadonlyMap<string, readonly InputRecord[]>,
  deps: {
    readonly pipeline: PipelineDeclaration;
    readonly busName: string;
    readonly physicalName: (key: string) => string;
  },
): Promise<OnFailureRedriveResult> {
  const records = [...perObject.values()].flat();
  if (records.length === 0) return { redriven: [], failed: [] };
  configureFanOut(deps.pipeline, deps);
  const delivery = await deliver(deps.pipeline, records, { duplicate: 0, shuffle: false, seed: 1 });
  const refused = new Map<string, string>();
  for (const u of delivery.undelivered) {
    const name = u.where.replace(/ record \d+$/, "");
    if (!refused.has(name)) refused.set(name, `${u.where}: ${u.reason}`);
  }
  const redriven: { name: string; records: number }[] = [];
  const failed: { name: string; reason: string }[] = [];
  for (const o of objects) {
    const reason = refused.get(o.name);
    if (reason !== undefined) {
      failed.push({ name: o.name, reason });
      continue;
    }
    await o.remove();
    redriven.push({ name: o.name, records: perObject.get(o.name)?.length ?? 0 });
  }
  return { redriven, failed };
}
