import { Logger } from "@aws-lambda-powertools/logger";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { afterEach, describe, expect, it, vi } from "vitest";
import { apiConfig, declaredNames } from "#infra/function-config.ts";
import { model, pipeline } from "#infra/pipeline.ts";
import { createApiHandler } from "../../../functions/api/app.ts";
import { routes } from "../../../functions/api/routes/index.ts";
import { apiLimits } from "../../helpers/function-config.ts";

const TOKEN = "unit-token";
/** The table names the API is configured with, rendered from the model as a deploy renders them. */
const { tables } = apiConfig(model.api, declaredNames(model));

/** A client whose edge records every call and answers with an empty success. */
function stubClient() {
  const client = new DynamoDBClient({
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
  });
  const send = vi.spyOn(client, "send").mockImplementation(async () => ({}));
  return { client, send };
}

function event(
  method: string,
  rawPath: string,
  init: Partial<APIGatewayProxyEventV2> = {},
): APIGatewayProxyEventV2 {
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath,
    rawQueryString: "",
    headers: {},
    isBase64Encoded: false,
    ...init,
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      domainName: "localhost",
      domainPrefix: "localhost",
      http: { method, path: rawPath, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "test" },
      requestId: "req-1",
      routeKey: "$default",
      stage: "$default",
      time: "",
      timeEpoch: 0,
      ...init.requestContext,
    },
  };
}

const silent = new Logger({ serviceName: "ripple-api-test", logLevel: "SILENT" });

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the API handler before any table is touched", () => {
  it.each([
    { description: "no Authorization header", headers: {}, message: /missing Authorization header/ },
    { description: "a wrong token", headers: { authorization: "Bearer nope" }, message: /not valid/ },
    {
      description: "a non-bearer scheme",
      headers: { authorization: `Basic ${TOKEN}` },
      message: /not a bearer token/,
    },
  ])("answers $description with 401 and writes nothing", async ({ headers, message }) => {
    // Arrange
    const { client, send } = stubClient();
    const handler = createApiHandler({ client, tables, limits: apiLimits, token: TOKEN, logger: silent });

    // Act
    const result = await handler(
      event("POST", "/pets", {
        headers: { ...headers, "content-type": "application/json" },
        body: '{"name":"a","type":"b","price":1}',
      }),
    );

    // Assert
    expect(result.statusCode).toBe(401);
    expect(JSON.parse(result.body ?? "").error).toMatchObject({
      code: "unauthorized",
      requestId: "req-1",
      message: expect.stringMatching(message),
    });
    expect(send).not.toHaveBeenCalled();
  });

  it("trusts an authorizer result in the request context and skips the token", async () => {
    // Arrange
    const { client, send } = stubClient();
    send.mockImplementation(async () => ({ Item: { name: { S: "pets" }, value: { N: "15" } }, Items: [] }));
    const handler = createApiHandler({ client, tables, limits: apiLimits, logger: silent });
    const withAuthorizer = event("GET", "/pets");
    (withAuthorizer.requestContext as unknown as { authorizer: unknown }).authorizer = {
      iam: { userArn: "arn:aws:iam::1:user/a" },
    };

    // Act
    const result = await handler(withAuthorizer);

    // Assert
    expect(result.statusCode).toBe(200);
    expect(result.body).toBe("[]");
  });

  it("refuses every protected request when no token is configured and no authorizer ran", async () => {
    // Arrange
    const { client } = stubClient();
    const handler = createApiHandler({ client, tables, limits: apiLimits, logger: silent });

    // Act
    const result = await handler(event("GET", "/pets", { headers: { authorization: "Bearer anything" } }));

    // Assert
    expect(result.statusCode).toBe(401);
    expect(result.body).toMatch(/no token configured/);
  });

  it.each([
    { description: "an unknown path", method: "GET", path: "/parrots", status: 404, code: "not_found" },
    {
      description: "a wrong method",
      method: "DELETE",
      path: "/pets",
      status: 405,
      code: "method_not_allowed",
    },
  ])("answers $description with $status", async ({ method, path, status, code }) => {
    // Arrange
    const { client, send } = stubClient();
    const handler = createApiHandler({ client, tables, limits: apiLimits, token: TOKEN, logger: silent });

    // Act
    const result = await handler(event(method, path, { headers: { authorization: `Bearer ${TOKEN}` } }));

    // Assert
    expect(result.statusCode).toBe(status);
    expect(JSON.parse(result.body ?? "").error.code).toBe(code);
    if (status === 405) expect(result.headers?.allow).toBe("GET, POST");
    expect(send).not.toHaveBeenCalled();
  });

  it("answers a failure it did not expect with a generic 500 and the request id, never the stack", async () => {
    // Arrange
    const { client, send } = stubClient();
    send.mockRejectedValue(new Error("secret internals at /var/task/x.js:1"));
    const handler = createApiHandler({ client, tables, limits: apiLimits, token: TOKEN, logger: silent });

    // Act
    const result = await handler(event("GET", "/pets", { headers: { authorization: `Bearer ${TOKEN}` } }));

    // Assert
    expect(result.statusCode).toBe(500);
    expect(result.headers?.["x-request-id"]).toBe("req-1");
    expect(result.body).not.toMatch(/secret|\/var\/task|at /);
    expect(JSON.parse(result.body ?? "").error).toMatchObject({ code: "internal_error", requestId: "req-1" });
  });

  it("serves /health and /openapi.json without a token", async () => {
    // Arrange
    const { client, send } = stubClient();
    const handler = createApiHandler({ client, tables, limits: apiLimits, token: TOKEN, logger: silent });

    // Act
    const health = await handler(event("GET", "/health"));
    const openapi = await handler(event("GET", "/openapi.json"));

    // Assert
    expect([health.statusCode, openapi.statusCode]).toEqual([200, 200]);
    expect(JSON.parse(openapi.body ?? "").openapi).toBe("3.1.0");
    expect(send).not.toHaveBeenCalled();
  });
});

describe("the OpenAPI document", () => {
  it.each([
    {
      description: "a cart quantity",
      path: "/carts/{userId}/items",
      method: "post",
      property: "quantity",
      expected: { type: "integer", minimum: 1, maximum: 999 },
    },
    {
      description: "an occupancy reading",
      path: "/car-parks/{carParkId}/occupancy",
      method: "put",
      property: "occupied",
      expected: { type: "integer", minimum: 0, description: expect.stringContaining("capacity") },
    },
    {
      description: "a stored event's payload",
      path: "/users/{userId}/events",
      method: "post",
      property: "payload",
      expected: { type: "object", description: expect.stringMatching(/__proto__.*1e-130/) },
    },
    {
      description: "a pet's price",
      path: "/pets",
      method: "post",
      property: "price",
      expected: { type: ["number", "string"], description: expect.stringContaining("at most 2 digits") },
    },
    {
      description: "an entry's kgCO2e",
      path: "/users/{userId}/entries",
      method: "post",
      property: "kgCO2e",
      expected: { description: expect.stringMatching(/0 to 100000 with at most 3 digits/) },
    },
  ])(
    "documents $description with the limits it is validated against",
    async ({ path, method, property, expected }) => {
      // Arrange
      const { client } = stubClient();
      const handler = createApiHandler({ client, tables, limits: apiLimits, token: TOKEN, logger: silent });

      // Act
      const doc = JSON.parse((await handler(event("GET", "/openapi.json"))).body ?? "");

      // Assert
      const body = doc.paths[path][method].requestBody.content["application/json"].schema;
      expect(body.properties[property]).toMatchObject(expected);
    },
  );

  it("documents the query limits of listings", async () => {
    // Arrange
    const { client } = stubClient();
    const handler = createApiHandler({ client, tables, limits: apiLimits, token: TOKEN, logger: silent });

    // Act
    const doc = JSON.parse((await handler(event("GET", "/openapi.json"))).body ?? "");

    // Assert
    const limit = doc.paths["/users/{userId}/events"].get.parameters.find(
      (p: { name: string }) => p.name === "limit",
    );
    expect(limit.schema.description).toMatch(/1 to 100, default 20/);
  });

  it("documents every route with its method, parameters and security", async () => {
    // Arrange
    const { client } = stubClient();
    const handler = createApiHandler({ client, tables, limits: apiLimits, token: TOKEN, logger: silent });

    // Act
    const doc = JSON.parse((await handler(event("GET", "/openapi.json"))).body ?? "");

    // Assert
    for (const route of routes) {
      const operation = doc.paths[route.path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      expect(operation.security).toEqual(route.public ? [] : [{ bearerAuth: [] }]);
      const templated = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const pathParams = operation.parameters
        .filter((p: { in: string }) => p.in === "path")
        .map((p: { name: string }) => p.name);
      expect(pathParams).toEqual(templated);
    }
  });

  it("describes prices as exact JSON numbers in responses and numbers or strings in requests", async () => {
    // Arrange
    const { client } = stubClient();
    const handler = createApiHandler({ client, tables, limits: apiLimits, token: TOKEN, logger: silent });

    // Act
    const doc = JSON.parse((await handler(event("GET", "/openapi.json"))).body ?? "");
    const post = doc.paths["/pets"].post;

    // Assert
    expect(post.requestBody.content["application/json"].schema.properties.price.type).toEqual([
      "number",
      "string",
    ]);
    expect(post.requestBody.content["application/json"].schema.additionalProperties).toBe(false);
    expect(post.responses["201"].content["application/json"].schema.properties.price).toMatchObject({
      type: "number",
    });
    expect(post.responses["413"].description).toContain(String(pipeline.api.maxBodyBytes));
  });
});
