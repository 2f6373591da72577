import { createHash } from "node:crypto";
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { isConditionFailed, toItem } from "./dynamo.ts";
import { ConflictError, IdempotencyKeyReusedError } from "./errors.ts";
import type { ApiDeps } from "./route.ts";

/** An Idempotency-Key as a caller sent it, with who the caller is (a digest, see `authenticate`). */
export interface IdempotencyKey {
  readonly caller: string;
  readonly key: string;
}

/** A stored first result, to answer a retried request with. */
export interface StoredResult {
  readonly status: number;
  readonly body: string;
}

/**
 * `Idempotency-Key` records in the idempotency table: a retried POST with the same key and the
 * same request gets the first result instead of writing twice.
 *
 * The first request puts an IN_PROGRESS record with a conditional put, so of two concurrent
 * requests with one key only one runs; the other is told to retry (409). The result (2xx only)
 * replaces the marker; a failure removes it so the client can try again. A marker whose request
 * died is taken over once its lock lapses. Records expire (`expiresAt`, DynamoDB TTL) after
 * `pipeline.api.idempotencyTtlSeconds`; an expired record still in the table counts as absent.
 * Keys are scoped by caller: the record's id is `<caller digest>#<key>`, so one caller's key never
 * answers another caller's request.
 */
export class IdempotencyStore {
  readonly #deps: ApiDeps;
  readonly #ttlSeconds: number;
  readonly #lockMs: number;

  constructor(deps: ApiDeps, ttlSeconds: number, lockMs: number) {
    this.#deps = deps;
    this.#ttlSeconds = ttlSeconds;
    this.#lockMs = lockMs;
  }

  /** The record id of a caller's key. */
  static recordId({ caller, key }: IdempotencyKey): string {
    return `${caller}#${key}`;
  }

  /** Fingerprint of a request: method, path and body, so a key reused for another request is caught. */
  static fingerprint(method: string, path: string, body: string): string {
    return createHash("sha256").update(`${method} ${path}\n${body}`).digest("hex");
  }

  /**
   * Claims a key. Returns the first result when the key was used before for this request;
   * undefined when the caller should run the request (and then call complete or release).
   */
  async begin(scoped: IdempotencyKey, fingerprint: string): Promise<StoredResult | undefined> {
    const { client, tables } = this.#deps;
    const { key } = scoped;
    const id = IdempotencyStore.recordId(scoped);
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = this.#deps.now().getTime();
      try {
        await client.send(
          new PutItemCommand({
            TableName: tables.idempotency,
            Item: toItem({
              id,
              status: "IN_PROGRESS",
              fingerprint,
              lockedUntil: now + this.#lockMs,
              expiresAt: Math.floor(now / 1000) + this.#ttlSeconds,
            }),
            ConditionExpression: "attribute_not_exists(id) OR expiresAt < :now",
            ExpressionAttributeValues: { ":now": { N: String(Math.floor(now / 1000)) } },
          }),
        );
        return undefined;
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
      const got = await client.send(
        new GetItemCommand({ TableName: tables.idempotency, Key: { id: { S: id } }, ConsistentRead: true }),
      );
      const record = got.Item;
      if (record === undefined) continue;
      if (record.fingerprint?.S !== fingerprint) {
        throw new IdempotencyKeyReusedError(
          `Idempotency-Key ${JSON.stringify(key)} was already used for a different request (another path or body); use a new key for a new request`,
        );
      }
      if (record.status?.S === "COMPLETED") {
        return { status: Number(record.responseStatus?.N), body: record.responseBody?.S ?? "" };
      }
      const lockedUntil = record.lockedUntil?.N ?? "0";
      if (Number(lockedUntil) < now) {
        try {
          await client.send(
            new UpdateItemCommand({
              TableName: tables.idempotency,
              Key: { id: { S: id } },
              UpdateExpression: "SET lockedUntil = :next",
              ConditionExpression: "#status = :inProgress AND lockedUntil = :seen",
              ExpressionAttributeNames: { "#status": "status" },
              ExpressionAttributeValues: {
                ":next": { N: String(now + this.#lockMs) },
                ":inProgress": { S: "IN_PROGRESS" },
                ":seen": { N: lockedUntil },
              },
            }),
          );
          return undefined;
        } catch (error) {
          if (!isConditionFailed(error)) throw error;
          continue;
        }
      }
      break;
    }
    throw new ConflictError(
      `a request with Idempotency-Key ${JSON.stringify(key)} is still in progress; retry it in a moment`,
      { headers: { "retry-after": "1" } },
    );
  }

  /** Stores the first result under the key. */
  async complete(scoped: IdempotencyKey, fingerprint: string, result: StoredResult): Promise<void> {
    const now = this.#deps.now().getTime();
    await this.#deps.client.send(
      new PutItemCommand({
        TableName: this.#deps.tables.idempotency,
        Item: toItem({
          id: IdempotencyStore.recordId(scoped),
          status: "COMPLETED",
          fingerprint,
          responseStatus: result.status,
          responseBody: result.body,
          expiresAt: Math.floor(now / 1000) + this.#ttlSeconds,
        }),
      }),
    );
  }

  /** Drops the in-progress marker after a failed request, so a retry runs afresh. */
  async release(scoped: IdempotencyKey): Promise<void> {
    const id = IdempotencyStore.recordId(scoped);
    try {
      await this.#deps.client.send(
        new DeleteItemCommand({
          TableName: this.#deps.tables.idempotency,
          Key: { id: { S: id } },
          ConditionExpression: "#status = :inProgress",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":inProgress": { S: "IN_PROGRESS" } },
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }
}
