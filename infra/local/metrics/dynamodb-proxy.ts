import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * What DynamoDB measures for CloudWatch, per table and operation, measured locally in front of
 * DynamoDB Local: the handlers' requests pass through this proxy, which times each one and
 * reads the answer's status and error type. DynamoDB Local reports none of it, and the
 * handlers' own SDK clients are theirs (created at load), hence a proxy on the wire.
 */
export interface DynamoDbSample {
  /** Physical table names the request names (one, or several for batch and transaction calls). */
  readonly tables: readonly string[];
  /** `PutItem`, `Query`… */
  readonly operation: string;
  readonly latencyMs: number;
  readonly status: number;
  /** `__type` of an error answer, without its namespace: `ProvisionedThroughputExceededException`… */
  readonly errorType?: string;
}

export interface DynamoDbProxy {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** The tables a request names. */
function tablesOf(body: Buffer): string[] {
  try {
    const input = JSON.parse(body.toString("utf8")) as {
      TableName?: string;
      RequestItems?: Record<string, unknown>;
      TransactItems?: Record<string, { TableName?: string }>[];
    };
    if (typeof input.TableName === "string") return [input.TableName];
    if (input.RequestItems !== undefined) return Object.keys(input.RequestItems);
    if (Array.isArray(input.TransactItems))
      return [
        ...new Set(input.TransactItems.flatMap((t) => Object.values(t).map((op) => op.TableName ?? ""))),
      ].filter((n) => n !== "");
  } catch {
    // Not JSON: no table to attribute it to.
  }
  return [];
}

/** Starts the proxy on 127.0.0.1 in front of `upstream` (DynamoDB Local's endpoint). */
export async function startDynamoDbProxy(
  upstream: string,
  onSample: (sample: DynamoDbSample) => void,
  /** @default 0, a free port */
  listenPort = 0,
): Promise<DynamoDbProxy> {
  const target = new URL(upstream);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const operation = String(req.headers["x-amz-target"] ?? "").split(".")[1] ?? "";
      const started = performance.now();
      const forward = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on("data", (c: Buffer) => parts.push(c));
          answer.on("end", () => {
            const payload = Buffer.concat(parts);
            const status = answer.statusCode ?? 500;
            let errorType: string | undefined;
            if (status >= 400) {
              try {
                errorType = String((JSON.parse(payload.toString("utf8")) as { __type?: string }).__type ?? "")
                  .split("#")
                  .pop();
              } catch {
                errorType = undefined;
              }
            }
            onSample({
              tables: tablesOf(body),
              operation,
              latencyMs: performance.now() - started,
              status,
              ...(errorType === undefined || errorType === "" ? {} : { errorType }),
            });
            res.writeHead(status, answer.headers);
            res.end(payload);
          });
          answer.on("error", () => res.destroy());
        },
      );
      // DynamoDB Local down: the client sees the connection drop, as it would without the proxy.
      forward.on("error", () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listenPort, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
