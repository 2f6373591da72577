import type { IncomingMessage, ServerResponse } from "node:http";
import { FaultSettingError, type FaultSwitch } from "./faults.ts";

/**
 * The local runtime's control routes, beside its API (bearer token required):
 * - `GET /local/faults` — the faults in force and how often each has struck (`fired`); `PUT /local/faults` sets some (a JSON object, see
 *   `Faults`); `DELETE /local/faults` clears them all;
 * - `POST /local/settled?timeoutMs=N` — answers once every change written so far has gone all the
 *   way through the pipeline (200), or 504 when it has not within N ms (default 60000).
 * They let tools outside the process (`npm run prove`, tests, the dashboard) break things on
 * purpose and know when the pipeline has caught up.
 */

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

/** 401 with how to authenticate. */
export function unauthorized(res: ServerResponse): true {
  send(res, 401, {
    error: { code: "Unauthorized", message: "send Authorization: Bearer <token printed by npm start>" },
  });
  return true;
}

async function body(req: IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of req) text += String(chunk);
  return text;
}

export interface ControlTargets {
  readonly faults: FaultSwitch;
  readonly settled: () => (options: { timeoutMs?: number }) => Promise<void>;
}

/** Serves one control route; the path is `/local/faults` or `/local/settled`. */
export async function controlRoute(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  targets: ControlTargets,
): Promise<void> {
  const bad = (message: string) => send(res, 400, { error: { code: "BadRequest", message } });
  if (path === "/local/settled") {
    if (req.method !== "POST")
      return send(res, 405, { error: { code: "MethodNotAllowed", message: "use POST" } });
    const given = new URL(req.url ?? "/", "http://localhost").searchParams.get("timeoutMs") ?? "60000";
    const timeoutMs = /^\d{1,7}$/.test(given) ? Number(given) : Number.NaN;
    if (!(timeoutMs >= 1))
      return bad(
        `timeoutMs must be whole milliseconds from 1 to 9999999, e.g. 30000 (given ${JSON.stringify(given)})`,
      );
    try {
      await targets.settled()({ timeoutMs });
      return send(res, 200, { settled: true });
    } catch (error) {
      return send(res, 504, { error: { code: "NotSettled", message: (error as Error).message } });
    }
  }
  if (req.method === "GET") return send(res, 200, { ...targets.faults.faults, fired: targets.faults.fired });
  if (req.method === "DELETE") {
    targets.faults.clear();
    return send(res, 200, targets.faults.faults);
  }
  if (req.method !== "PUT")
    return send(res, 405, { error: { code: "MethodNotAllowed", message: "use GET, PUT or DELETE" } });
  let input: unknown;
  try {
    input = JSON.parse(await body(req));
  } catch (error) {
    return bad(
      `the body must be a JSON object of faults, e.g. {"putEventsEntryFailure": 0.2} (${(error as Error).message})`,
    );
  }
  try {
    return send(res, 200, targets.faults.set(input));
  } catch (error) {
    if (error instanceof FaultSettingError) return bad(error.message);
    throw error;
  }
}
