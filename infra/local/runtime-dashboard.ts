import { timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { PROJECT_ROOT } from "../model.ts";
import { type ControlTargets, controlRoute, unauthorized } from "./control.ts";
import type { LocalEventBridge } from "./eventbridge/server.ts";
import type { ConsumerRun } from "./runtime-functions.ts";
import type { EventSourceMapping } from "./streams/event-source-mapping.ts";

/** Pipeline counters for the dashboard. */
export interface RuntimeStats {
  readonly storage: string;
  /** Where DynamoDB Local and the bus listen, for tools that join a running runtime (replay). */
  readonly endpoints: { readonly dynamodb: string; readonly eventbridge: string };
  readonly rows: readonly { name: string; value: number }[];
}

/** What the pipeline has done so far: records per source, the bus's counters, each consumer's runs. */
export function runtimeStats(parts: {
  readonly storage: string;
  readonly endpoints: RuntimeStats["endpoints"];
  readonly mappings: readonly EventSourceMapping[];
  readonly eventBridge: LocalEventBridge;
  readonly consumers: readonly ConsumerRun[];
}): RuntimeStats {
  const rows: { name: string; value: number }[] = [];
  for (const m of parts.mappings) {
    const s = m.stats();
    rows.push({ name: `${s.tableName}: records delivered to fan-out`, value: s.recordsDelivered });
    if (s.failures > 0) rows.push({ name: `${s.tableName}: failed batches`, value: s.failures });
  }
  for (const [name, value] of Object.entries(parts.eventBridge.stats()))
    rows.push({ name: `bus: ${name}`, value });
  for (const { name, invocations } of parts.consumers) {
    const s = invocations.stats;
    rows.push({ name: `${name}: runs`, value: s.runs });
    if (s.functionErrors > 0) rows.push({ name: `${name}: function errors`, value: s.functionErrors });
    if (s.deadLettered > 0) rows.push({ name: `${name}: dead letters`, value: s.deadLettered });
    if (s.dropped > 0) rows.push({ name: `${name}: discarded`, value: s.dropped });
  }
  return { storage: parts.storage, endpoints: parts.endpoints, rows };
}

const dashboardHtml = () => readFileSync(join(PROJECT_ROOT, "infra/local/dashboard/index.html"), "utf8");

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.replace(/^Bearer\s+/i, "") ?? "");
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The dashboard's routes beside the API: `GET /` (the page, with the token in a meta tag),
 * `GET /local/stats` (the counters) and the control routes `/local/faults` and `/local/settled`,
 * for a caller with the token. Answers `false` for anything else.
 */
export function dashboardRoutes(
  apiToken: string,
  stats: () => RuntimeStats,
  control: ControlTargets,
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && (path === "/" || path === "/index.html")) {
      const html = dashboardHtml().replace(
        "<head>",
        `<head>\n<meta name="ripple-token" content="${apiToken}">`,
      );
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
      res.end(html);
      return true;
    }
    if (path === "/local/faults" || path === "/local/settled") {
      if (!tokenMatches(req.headers.authorization, apiToken)) return unauthorized(res);
      await controlRoute(req, res, path, control);
      return true;
    }
    if (req.method !== "GET" || path !== "/local/stats") return false;
    if (!tokenMatches(req.headers.authorization, apiToken)) return unauthorized(res);
    res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(JSON.stringify(stats()));
    return true;
  };
}

/**
 * Resolves once every change written so far has gone all the way through: every stream read to its
 * end with nothing in flight and the bus drained — repeated until two passes in a row find nothing
 * new (a consumer's write can start another round).
 */
export async function settle(
  parts: {
    readonly mappings: readonly EventSourceMapping[];
    readonly eventBridge: LocalEventBridge;
    readonly consumers: readonly ConsumerRun[];
    readonly stats: () => RuntimeStats;
  },
  options: { readonly timeoutMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let quietPasses = 0;
  while (quietPasses < 2) {
    const before = JSON.stringify(parts.stats().rows);
    const timeoutMs = Math.max(1, deadline - Date.now());
    await Promise.all(parts.mappings.map((m) => m.idle({ timeoutMs })));
    await parts.eventBridge.drained();
    await Promise.all(parts.consumers.map(({ invocations }) => invocations.drained()));
    quietPasses = JSON.stringify(parts.stats().rows) === before ? quietPasses + 1 : 0;
    if (Date.now() > deadline)
      throw new Error(`the pipeline did not settle within ${options.timeoutMs ?? 60_000} ms`);
  }
}
