import { randomUUID } from "node:crypto";
import { Logger } from "@aws-lambda-powertools/logger";
import {
  type AttributeValue,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { type ApiServer, startApiServer } from "#infra/local/api-server.ts";
import { freePort } from "#infra/local/ports.ts";
import { pipeline } from "#infra/pipeline.ts";
import { type ApiHandler, type ApiOptions, createApiHandler } from "../../../functions/api/app.ts";
import type { ApiTables } from "../../../functions/api/route.ts";
import { LOCAL_CLIENT_CONFIG, startTestDynamoDb, type TestDynamoDb } from "../../helpers/dynamodb.ts";
import { apiLimits, functionEnvironments } from "../../helpers/function-config.ts";

export const TOKEN = "test-token-5f1c2b9e";

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
  readonly json: any;
}

export interface RequestOptions {
  readonly body?: unknown;
  /** Sent as is (no JSON encoding). */
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
  /** @default TOKEN; null sends no Authorization header */
  readonly token?: string | null;
}

export interface ApiHarness {
  readonly dynamo: TestDynamoDb;
  readonly server: ApiServer;
  request(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>;
  /** Has the API install its seed data (the car parks and the pets), as the first read of each does. */
  installSeedData(): Promise<void>;
  /** Every item of a declared table (by key), for "nothing was written" assertions. */
  items(tableKey: string): Promise<Record<string, unknown>[]>;
  /** The item of a declared table (by key) at `key`, read strongly consistent; undefined when there is none. */
  item(
    tableKey: string,
    key: Record<string, AttributeValue>,
  ): Promise<Record<string, AttributeValue> | undefined>;
  /** Writes `item` into a declared table (by key) around the API, as a user of the SDK can. */
  put(tableKey: string, item: Record<string, AttributeValue>): Promise<void>;
  stop(): Promise<void>;
}

/**
 * DynamoDB Local with every table, the API handler loaded the way the runtime loads it (env
 * first, then import), served by the local adapter on a free port.
 */
export async function startApiHarness(): Promise<ApiHarness> {
  const dynamo = await startTestDynamoDb();
  Object.assign(process.env, functionEnvironments());
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
  process.env.AWS_REGION = "us-east-1";
  process.env.AWS_ACCESS_KEY_ID = "local";
  process.env.AWS_SECRET_ACCESS_KEY = "local";
  process.env.RIPPLE_API_TOKEN = TOKEN;
  process.env.POWERTOOLS_LOG_LEVEL ??= "CRITICAL";
  const { handler } = (await import("../../../functions/api/handler.ts")) as {
    handler: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
  };
  const server = await startApiServer({ port: await freePort(), handler, token: TOKEN });
  const tableName = (tableKey: string) => {
    const table = pipeline.tables[tableKey];
    if (table === undefined) throw new Error(`no table ${tableKey} is declared`);
    return table.tableName;
  };
  const harness: ApiHarness = {
    dynamo,
    server,
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      const token = options.token === undefined ? TOKEN : options.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      let body: string | undefined = options.rawBody;
      if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers["content-type"] ??= "application/json";
      }
      const response = await fetch(`${server.url}${path}`, { method, headers, body });
      const text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.status, headers: response.headers, text, json };
    },
    async installSeedData() {
      await harness.request("GET", "/car-parks");
      await harness.request("GET", "/pets");
    },
    async items(tableKey) {
      const page = await dynamo.client.send(
        new ScanCommand({ TableName: tableName(tableKey), ConsistentRead: true }),
      );
      return (page.Items ?? []) as Record<string, unknown>[];
    },
    async item(tableKey, key) {
      const got = await dynamo.client.send(
        new GetItemCommand({ TableName: tableName(tableKey), Key: key, ConsistentRead: true }),
      );
      return got.Item;
    },
    async put(tableKey, item) {
      await dynamo.client.send(new PutItemCommand({ TableName: tableName(tableKey), Item: item }));
    },
    async stop() {
      await server.stop();
      await dynamo.stop();
    },
  };
  return harness;
}

/** The API's physical table names, as the handler module reads them from `TABLE_<KEY>`. */
export function apiTables(): ApiTables {
  return Object.fromEntries(
    Object.entries(pipeline.tables).map(([key, table]) => [key, table.tableName]),
  ) as unknown as ApiTables;
}

/** What one command sent to DynamoDB Local looked like, as a {@link watchedClient} saw it. */
export interface SentCommand {
  readonly name: string;
  readonly input: Record<string, unknown>;
}

/**
 * A client of the harness's DynamoDB Local that records every command it sends and, when
 * `failWhen` says so, fails that command before it leaves (as a network error or a throttled
 * request would), to show what the API does when one call of a request fails.
 */
export function watchedClient(
  dynamo: TestDynamoDb,
  failWhen: (command: SentCommand) => boolean = () => false,
): { client: DynamoDBClient; sent: SentCommand[] } {
  const client = new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint: dynamo.endpoint });
  const sent: SentCommand[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = { name: context.commandName ?? "", input: args.input as Record<string, unknown> };
      sent.push(command);
      if (failWhen(command)) throw Object.assign(new Error("connection reset"), { name: "NetworkingError" });
      return next(args);
    },
    { step: "initialize", name: "watch" },
  );
  return { client, sent };
}

/** An API handler on the harness's tables with its own client, called with {@link apiEvent}s. */
export function handlerWith(client: DynamoDBClient, options: Partial<ApiOptions> = {}): ApiHandler {
  return createApiHandler({
    client,
    tables: apiTables(),
    limits: apiLimits,
    token: TOKEN,
    logger: new Logger({ serviceName: "ripple-api-test", logLevel: "SILENT" }),
    ...options,
  });
}

/** An HTTP API payload 2.0 event, as API Gateway builds it; `authorizer` as an IAM authorizer sets it. */
export function apiEvent(
  method: string,
  rawPath: string,
  init: { body?: unknown; headers?: Record<string, string>; authorizer?: unknown } = {},
): APIGatewayProxyEventV2 {
  const [path = "", query = ""] = rawPath.split("?");
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: path,
    rawQueryString: query,
    headers: {
      ...(init.authorizer === undefined ? { authorization: `Bearer ${TOKEN}` } : {}),
      ...(init.body === undefined ? {} : { "content-type": "application/json" }),
      ...init.headers,
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    isBase64Encoded: false,
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      domainName: "127.0.0.1",
      domainPrefix: "127",
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "test" },
      requestId: randomUUID(),
      routeKey: "$default",
      stage: "$default",
      time: "",
      timeEpoch: Date.now(),
      ...(init.authorizer === undefined ? {} : { authorizer: init.authorizer }),
    } as APIGatewayProxyEventV2["requestContext"],
  };
}
