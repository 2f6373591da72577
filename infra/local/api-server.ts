import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from "aws-lambda";

/** A handler as API Gateway HTTP API calls it (payload format 2.0). */
export type HttpApiHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyResultV2>;

/** Where and what {@link startApiServer} serves. */
export interface ApiServerProps {
  /** Port to listen on; 0 picks a free one. */
  readonly port: number;
  /** @default "127.0.0.1" */
  readonly host?: "127.0.0.1";
  readonly handler: HttpApiHandler;
  /**
   * The token the handler expects, handed back in the result so the runtime can print it. The
   * server itself checks nothing: the handler authenticates, exactly as in AWS.
   * @default undefined
   */
  readonly token?: string;
  /**
   * Called first for every request; return true when it answered (a dashboard page at `/`),
   * false to pass the request on to the API.
   * @default every request goes to the API
   */
  readonly fallback?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
}

/** A running API server. */
export interface ApiServer {
  readonly url: string;
  readonly port: number;
  readonly token: string | undefined;
  /** Stops accepting connections, closes idle keep-alive ones and waits for the server to close. */
  stop(): Promise<void>;
}

/** API Gateway refuses payloads over 10 MB before the function runs; so does this server. */
const GATEWAY_MAX_BYTES = 10 * 1024 * 1024;
const TEXT_TYPE = /^(text\/|application\/(json|[\w.+-]+\+json|xml|x-www-form-urlencoded|javascript))/i;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `23/Nov/2026:19:24:37 +0000`, the form of `requestContext.time`. */
function gatewayTime(at: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(at.getUTCDate())}/${MONTHS[at.getUTCMonth()]}/${at.getUTCFullYear()}:${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())} +0000`;
}

/**
 * Builds the payload 2.0 event API Gateway would send for a request: raw path and query string,
 * lower-cased headers (repeated ones joined by commas), cookies, the body (base64 unless it is
 * text), and a request context with method, path, source IP, request id and time. Path
 * parameters are left to the handler's router, as with a `$default` route.
 */
export function toHttpApiEvent(req: IncomingMessage, body: Buffer, at = new Date()): APIGatewayProxyEventV2 {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const rawPath = q === -1 ? url : url.slice(0, q);
  const rawQueryString = q === -1 ? "" : url.slice(q + 1);
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    const value = req.rawHeaders[i + 1]!;
    if (name === "cookie") {
      cookies.push(...value.split(/;\s*/).filter((c) => c !== ""));
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const queryStringParameters: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(rawQueryString)) {
    queryStringParameters[k] =
      queryStringParameters[k] === undefined ? v : `${queryStringParameters[k]},${v}`;
  }
  const isText = body.length === 0 || TEXT_TYPE.test(headers["content-type"] ?? "");
  const requestId = randomUUID();
  const method = (req.method ?? "GET").toUpperCase();
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath,
    rawQueryString,
    ...(cookies.length === 0 ? {} : { cookies }),
    headers,
    ...(rawQueryString === "" ? {} : { queryStringParameters }),
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      domainName: headers.host ?? "127.0.0.1",
      domainPrefix: (headers.host ?? "127").split(".")[0]!,
      http: {
        method,
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId,
      routeKey: "$default",
      stage: "$default",
      time: gatewayTime(at),
      timeEpoch: at.getTime(),
    },
    ...(body.length === 0 ? {} : { body: isText ? body.toString("utf8") : body.toString("base64") }),
    isBase64Encoded: !isText,
  };
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > GATEWAY_MAX_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string | Buffer,
): void {
  res.writeHead(status, { ...headers, "content-length": String(Buffer.byteLength(body)) });
  res.end(body);
}

/**
 * Serves an HTTP API handler on 127.0.0.1 over node:http, turning each request into the payload
 * 2.0 event API Gateway would build and the handler's result back into a response. It enforces
 * nothing the handler enforces (auth, validation, body limits), so the handler behaves as in AWS;
 * only API Gateway's own 10 MB payload cap is applied here.
 *
 * @example
 * const api = await startApiServer({ port: 3000, handler });
 * console.log(`API on ${api.url}`);
 * await api.stop();
 */
export async function startApiServer(props: ApiServerProps): Promise<ApiServer> {
  const server = createServer(async (req, res) => {
    try {
      if (props.fallback !== undefined && (await props.fallback(req, res))) return;
      const body = await readBody(req);
      if (body === undefined) {
        send(
          res,
          413,
          { "content-type": "application/json" },
          JSON.stringify({ message: "Request Entity Too Large" }),
        );
        return;
      }
      const result = await props.handler(toHttpApiEvent(req, body));
      if (typeof result === "string") {
        send(res, 200, { "content-type": "application/json" }, result);
        return;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(result.headers ?? {})) headers[k.toLowerCase()] = String(v);
      if (result.cookies !== undefined && result.cookies.length > 0)
        res.setHeader("set-cookie", result.cookies);
      const payload =
        result.body === undefined
          ? ""
          : result.isBase64Encoded === true
            ? Buffer.from(result.body, "base64")
            : result.body;
      send(res, result.statusCode ?? 200, headers, payload);
    } catch {
      // What API Gateway answers when the integration fails.
      if (!res.headersSent) {
        send(
          res,
          500,
          { "content-type": "application/json" },
          JSON.stringify({ message: "Internal Server Error" }),
        );
      } else {
        res.destroy();
      }
    }
  });
  const host = props.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(props.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    token: props.token,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeIdleConnections();
      }),
  };
}
