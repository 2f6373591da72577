import { createHash } from "node:crypto";
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { isConditionFailed, toItem } from "./dynamo.ts";
import { ConflictError, IdempotencyKeyReusedError } from "./errors.ts";
import type { ApiDeps, Once } from "./route.ts";

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

/** A key this request now holds, to run the request under. */
export interface Claim {
  /** When the key's first request started: the request's clock, so a resumed run chooses as the first did. */
  readonly startedAt: Date;
  /** True when an earlier run of this request stopped (it crashed or timed out) before its result was kept. */
  readonly resumed: boolean;
  /** The `lockedUntil` this claim holds the key by. */
  readonly lockedUntil: number;
}

/** The {@link Once} of a request without an Idempotency-Key: every choice is new. */
export const NO_KEY: Once = {
  resumed: false,
  digest: undefined,
  value: async (_name, choose) => choose(),
};

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
   * Claims a key. Returns the first result when the key was used before for this request; a
   * claim when the caller should run the request (and then call complete or release).
   */
  async begin(
    scoped: IdempotencyKey,
    fingerprint: string,
  ): Promise<{ readonly first: StoredResult } | { readonly claim: Claim }> {
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
              startedAt: now,
              chosen: {},
              lockedUntil: now + this.#lockMs,
              expiresAt: Math.floor(now / 1000) + this.#ttlSeconds,
            }),
            ConditionExpression: "attribute_not_exists(id) OR expiresAt < :now",
            ExpressionAttributeValues: { ":now": { N: String(Math.floor(now / 1000)) } },
          }),
        );
        return { claim: { startedAt: new Date(now), resumed: false, lockedUntil: now + this.#lockMs } };
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
        return { first: { status: Number(record.responseStatus?.N), body: record.responseBody?.S ?? "" } };
      }
      const lockedUntil = record.lockedUntil?.N ?? "0";
      if (Number(lockedUntil) < now) {
        try {
          await client.send(
            new UpdateItemCommand({
              TableName: tables.idempotency,
              Key: { id: { S: id } },
              // A marker kept before choices were kept has no `chosen` map: give it one.
              UpdateExpression: "SET lockedUntil = :next, chosen = if_not_exists(chosen, :none)",
              ConditionExpression: "#status = :inProgress AND lockedUntil = :seen",
              ExpressionAttributeNames: { "#status": "status" },
              ExpressionAttributeValues: {
                ":next": { N: String(now + this.#lockMs) },
                ":inProgress": { S: "IN_PROGRESS" },
                ":seen": { N: lockedUntil },
                ":none": { M: {} },
              },
            }),
          );
          // The first run's clock, so that what it chose from the time is chosen again.
          const startedAt = record.startedAt?.N === undefined ? now : Number(record.startedAt.N);
          return {
            claim: { startedAt: new Date(startedAt), resumed: true, lockedUntil: now + this.#lockMs },
          };
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

  /**
   * The {@link Once} of a request running under a claim: each choice is kept in the marker's
   * `chosen` map (the first kept wins), while the claim still holds the key.
   */
  once(scoped: IdempotencyKey, claim: Claim): Once {
    const id = IdempotencyStore.recordId(scoped);
    const { client, tables } = this.#deps;
    return {
      resumed: claim.resumed,
      digest: createHash("sha256").update(id).digest("hex").slice(0, 24),
      value: async (name, choose) => {
        const choice = await choose();
        try {
          const kept = await client.send(
            new UpdateItemCommand({
              TableName: tables.idempotency,
              Key: { id: { S: id } },
              UpdateExpression: "SET chosen.#name = if_not_exists(chosen.#name, :choice)",
              ConditionExpression: "#status = :inProgress AND lockedUntil = :held",
              ExpressionAttributeNames: { "#name": name, "#status": "status" },
              ExpressionAttributeValues: {
                ":choice": { S: choice },
                ":inProgress": { S: "IN_PROGRESS" },
                ":held": { N: String(claim.lockedUntil) },
              },
              ReturnValues: "UPDATED_NEW",
            }),
          );
          return kept.Attributes?.chosen?.M?.[name]?.S ?? choice;
        } catch (error) {
          if (!isConditionFailed(error)) throw error;
          // Another run took the key over (this one outlived its lock): it, not this one, answers.
          throw new ConflictError(
            `a request with Idempotency-Key ${JSON.stringify(scoped.key)} is still in progress; retry it in a moment`,
            { headers: { "retry-after": "1" } },
          );
        }
      },
    };
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
