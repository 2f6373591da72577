import { DynamoDBClient, type PutItemCommandInput } from "@aws-sdk/client-dynamodb";
import {
  EventBridgeClient,
  type PutEventsCommand,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from "@aws-sdk/client-eventbridge";
import { vi } from "vitest";
import { resolveFanOutConfig } from "#infra/function-config.ts";
import type { FanOutDeps } from "../../../functions/fan-out/fan-out.ts";

export const CLIENT_CONFIG = {
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
} as const;

/** Decides each PutEvents call's answer: per-entry results, or an error to throw. */
export type PutEventsResponder = (
  entries: PutEventsRequestEntry[],
  call: number,
) => PutEventsResultEntry[] | Error | undefined;

/** Every entry accepted. */
export const acceptAll = (entries: PutEventsRequestEntry[], call: number): PutEventsResultEntry[] =>
  entries.map((_, i) => ({ EventId: `event-${call}-${i}` }));

/** A real EventBridgeClient whose `send` is stubbed at its edge, recording every request. */
export function stubEventBridge(respond: PutEventsResponder = acceptAll) {
  const client = new EventBridgeClient(CLIENT_CONFIG);
  const requests: PutEventsRequestEntry[][] = [];
  const send = vi.spyOn(client, "send").mockImplementation((async (command: PutEventsCommand) => {
    const entries = command.input.Entries ?? [];
    requests.push(entries);
    const answer = respond(entries, requests.length) ?? acceptAll(entries, requests.length);
    if (answer instanceof Error) throw answer;
    return { FailedEntryCount: answer.filter((r) => r.ErrorCode !== undefined).length, Entries: answer };
  }) as never);
  return { client, requests, send };
}

/**
 * A real client whose `send` is stubbed at its edge to never answer (a hung connection), recording
 * the abort signal each call was given.
 */
export function stubNeverAnswers<C extends EventBridgeClient | DynamoDBClient>(client: C) {
  const signals: (AbortSignal | undefined)[] = [];
  vi.spyOn(client as { send: (...args: never[]) => unknown }, "send").mockImplementation(((
    _: unknown,
    options?: { abortSignal?: AbortSignal },
  ) => {
    signals.push(options?.abortSignal);
    return new Promise(() => {});
  }) as never);
  return { client, signals };
}

/** A real DynamoDBClient whose `send` is stubbed at its edge, recording every PutItem. */
export function stubDynamoDb(fail: (input: PutItemCommandInput) => Error | undefined = () => undefined) {
  const client = new DynamoDBClient(CLIENT_CONFIG);
  const puts: PutItemCommandInput[] = [];
  vi.spyOn(client, "send").mockImplementation((async (command: { input: PutItemCommandInput }) => {
    const error = fail(command.input);
    if (error !== undefined) throw error;
    puts.push(command.input);
    return {};
  }) as never);
  return { client, puts };
}

export const testConfig = resolveFanOutConfig({ busName: "ripple-test" });

/** Fan-out dependencies with stubbed clients, instant backoff and plenty of time. */
export function testDeps(overrides: Partial<FanOutDeps> = {}): FanOutDeps {
  return {
    eventBridge: stubEventBridge().client,
    dynamodb: stubDynamoDb().client,
    config: testConfig,
    remainingTimeMs: () => 60_000,
    publish: { sleep: async () => {}, random: () => 0.5 },
    now: () => Date.parse("2025-11-30T16:06:00.000Z"),
    ...overrides,
  };
}

/** The parsed Detail of an entry. */
export function detailOf(entry: PutEventsRequestEntry): { metadata: Record<string, unknown>; data: unknown } {
  return JSON.parse(entry.Detail ?? "null");
}
