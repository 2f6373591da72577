import { ScanCommand } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { type ApiServer, startApiServer } from "#infra/local/api-server.ts";
import { freePort } from "#infra/local/ports.ts";
import { pipeline } from "#infra/pipeline.ts";
import { tableEnvVar } from "#infra/topology.ts";
import { startTestDynamoDb, type TestDynamoDb } from "../../helpers/dynamodb.ts";

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
  /** Every item of a declared table (by key), for "nothing was written" assertions. */
  items(tableKey: string): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

/**
 * DynamoDB Local with every table, the API handler loaded the way the runtime loads it (env
 * first, then import), served by the local adapter on a free port.
 */
export async function startApiHarness(): Promise<ApiHarness> {
  const dynamo = await startTestDynamoDb();
  for (const [key, table] of Object.entries(pipeline.tables)) process.env[tableEnvVar(key)] = table.tableName;
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
  return {
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
    async items(tableKey) {
      const table = pipeline.tables[tableKey];
      if (table === undefined) throw new Error(`no table ${tableKey} is declared`);
      const page = await dynamo.client.send(
        new ScanCommand({ TableName: table.tableName, ConsistentRead: true }),
      );
      return (page.Items ?? []) as Record<string, unknown>[];
    },
    async stop() {
      await server.stop();
      await dynamo.stop();
    },
  };
}
