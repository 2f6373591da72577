import { timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { PROJECT_ROOT } from "../model.ts";
import { type ControlTargets, controlRoute, unauthorized } from "./control.ts";
import type { LocalEventBridge } from "./eventbridge/server.ts";
import type { LocalMonitoring } from "./metrics/monitor.ts";
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

/** The charting library, served from the project's own node_modules (the page loads nothing from elsewhere). */
const VENDOR: Readonly<Record<string, { file: string; type: string }>> = {
  "/vendor/uplot.js": { file: "node_modules/uplot/dist/uPlot.iife.min.js", type: "text/javascript" },
  "/vendor/uplot.css": { file: "node_modules/uplot/dist/uPlot.min.css", type: "text/css" },
};

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.replace(/^Bearer\s+/i, "") ?? "");
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function sendJson(res: ServerResponse, status: number, body: unknown): true {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
  return true;
}

/** What the dashboard reads and does beyond the counters. */
export interface DashboardTargets {
  readonly stats: () => RuntimeStats;
  readonly control: ControlTargets;
  readonly monitoring: LocalMonitoring;
  /**
   * Runs `npm run redrive` in-process with these arguments (`--id ID` for one item), answering
   * its exit code and printed lines.
   */
  readonly redrive: (argv: readonly string[]) => Promise<{ code: number; out: string[]; err: string[] }>;
}

/**
 * The dashboard's routes beside the API. The page (`GET /`) and its charting library are public
 * and carry no secret; the page asks for the token and sends it with every call. For a caller
 * with the token: `GET /local/stats` (the counters), `GET /local/monitoring?minutes=N` (alarms,
 * widget series, consumers), `GET /local/set-aside` (what waits for an operator),
 * `POST /local/redrive[?id=ID]` (the redrive of `npm run redrive`, of one item or all), and
 * the control routes `/local/faults` and `/local/settled`. Answers `false` for anything else.
 */
export function dashboardRoutes(
  apiToken: string,
  targets: DashboardTargets,
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname;
    if (req.method === "GET" && (path === "/" || path === "/index.html")) {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
      res.end(dashboardHtml());
      return true;
    }
    const vendor = VENDOR[path];
    if (req.method === "GET" && vendor !== undefined) {
      res.writeHead(200, { "content-type": vendor.type, "cache-control": "max-age=3600" });
      res.end(readFileSync(join(PROJECT_ROOT, vendor.file)));
      return true;
    }
    const routes = [
      "/local/faults",
      "/local/settled",
      "/local/stats",
      "/local/monitoring",
      "/local/set-aside",
      "/local/redrive",
    ];
    if (!routes.includes(path)) return false;
    if (!tokenMatches(req.headers.authorization, apiToken)) return unauthorized(res);
    if (path === "/local/faults" || path === "/local/settled") {
      await controlRoute(req, res, path, targets.control);
      return true;
    }
    if (path === "/local/redrive") {
      if (req.method !== "POST")
        return sendJson(res, 405, {
          error: { code: "MethodNotAllowed", message: "use POST /local/redrive[?id=ID]" },
        });
      const id = url.searchParams.get("id");
      const result = await targets.redrive(id === null ? [] : ["--id", id]);
      await targets.monitoring.sampleSetAside();
      return sendJson(res, 200, { ...result, setAside: targets.monitoring.setAside() });
    }
    if (req.method !== "GET")
      return sendJson(res, 405, { error: { code: "MethodNotAllowed", message: `use GET ${path}` } });
    if (path === "/local/stats") return sendJson(res, 200, targets.stats());
    if (path === "/local/set-aside") {
      await targets.monitoring.sampleSetAside();
      return sendJson(res, 200, { items: targets.monitoring.setAside() });
    }
    const given = url.searchParams.get("minutes") ?? "10";
    if (!/^\d{1,2}$/.test(given) || Number(given) < 1)
      return sendJson(res, 400, {
        error: {
          code: "BadRequest",
          message: `minutes must be a whole number from 1 to 60, e.g. ?minutes=10 (given ${JSON.stringify(given)})`,
        },
      });
    return sendJson(res, 200, targets.monitoring.view({ minutes: Math.min(60, Number(given)) }));
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
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  const notSettled = () => new Error(`the pipeline did not settle within ${timeoutMs} ms`);
  let quietPasses = 0;
  while (quietPasses < 2) {
    const before = JSON.stringify(parts.stats().rows);
    await Promise.all(parts.mappings.map((m) => m.idle({ timeoutMs: Math.max(1, deadline - Date.now()) })));
    // The bus and the consumers' queues drain when they drain: the wait for them ends at the deadline.
    await beforeDeadline(
      (async () => {
        await parts.eventBridge.drained();
        await Promise.all(parts.consumers.map(({ invocations }) => invocations.drained()));
      })(),
      deadline,
      notSettled,
    );
    quietPasses = JSON.stringify(parts.stats().rows) === before ? quietPasses + 1 : 0;
    if (Date.now() > deadline) throw notSettled();
  }
}

/** `work`, or the error of `late()` once `deadline` (epoch ms) passes first. */
async function beforeDeadline<T>(work: Promise<T>, deadline: number, late: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(late()), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
