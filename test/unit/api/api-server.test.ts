import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { afterEach, describe, expect, it } from "vitest";
import { type ApiServer, startApiServer } from "#infra/local/api-server.ts";

let server: ApiServer | undefined;

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function capture(): Promise<{ events: APIGatewayProxyEventV2[]; server: ApiServer }> {
  const events: APIGatewayProxyEventV2[] = [];
  server = await startApiServer({
    port: 0,
    handler: async (event) => {
      events.push(event);
      return {
        statusCode: 201,
        headers: { "X-Custom": "yes" },
        body: '{"ok":true}',
        cookies: ["a=1", "b=2"],
      };
    },
  });
  return { events, server };
}

describe("startApiServer", () => {
  it("turns a request into an HTTP API payload 2.0 event", async () => {
    // Arrange
    const { events, server } = await capture();

    // Act
    await fetch(`${server.url}/users/u%201/entries?limit=5&from=2025-01-01&tag=a&tag=b`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Trace": "t1", Cookie: "c1=x; c2=y" },
      body: '{"kgCO2e":1.5}',
    });

    // Assert
    const event = events[0]!;
    expect(event).toMatchObject({
      version: "2.0",
      routeKey: "$default",
      rawPath: "/users/u%201/entries",
      rawQueryString: "limit=5&from=2025-01-01&tag=a&tag=b",
      queryStringParameters: { limit: "5", from: "2025-01-01", tag: "a,b" },
      cookies: ["c1=x", "c2=y"],
      body: '{"kgCO2e":1.5}',
      isBase64Encoded: false,
      requestContext: {
        http: { method: "POST", path: "/users/u%201/entries", sourceIp: "127.0.0.1" },
        stage: "$default",
      },
    });
    expect(event.headers).toMatchObject({ "content-type": "application/json", "x-trace": "t1" });
    expect(event.pathParameters).toBeUndefined();
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.requestContext.time).toMatch(/^\d{2}\/\w{3}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
  });

  it("base64-encodes a binary body", async () => {
    // Arrange
    const { events, server } = await capture();

    // Act
    await fetch(`${server.url}/x`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: new Uint8Array([0, 255, 1]),
    });

    // Assert
    expect(events[0]).toMatchObject({
      isBase64Encoded: true,
      body: Buffer.from([0, 255, 1]).toString("base64"),
    });
  });

  it("writes the handler's status, headers, cookies and body back", async () => {
    // Arrange
    const { server } = await capture();

    // Act
    const response = await fetch(`${server.url}/`);

    // Assert
    expect(response.status).toBe(201);
    expect(response.headers.get("x-custom")).toBe("yes");
    expect(response.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(await response.text()).toBe('{"ok":true}');
  });

  it("answers 500 as API Gateway does when the handler throws", async () => {
    // Arrange
    server = await startApiServer({
      port: 0,
      handler: async () => {
        throw new Error("boom");
      },
    });

    // Act
    const response = await fetch(`${server.url}/`);

    // Assert
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ message: "Internal Server Error" });
  });

  it("lets a fallback answer the paths it owns and passes the rest to the handler", async () => {
    // Arrange
    const { events } = await capture();
    await server!.stop();
    server = await startApiServer({
      port: 0,
      handler: async (event) => {
        events.push(event);
        return { statusCode: 200, body: "{}" };
      },
      fallback: (req, res) => {
        if (req.url !== "/") return false;
        res.writeHead(200, { "content-type": "text/html" }).end("<h1>ripple</h1>");
        return true;
      },
    });

    // Act
    const page = await fetch(`${server.url}/`);
    const api = await fetch(`${server.url}/health`);

    // Assert
    expect(await page.text()).toBe("<h1>ripple</h1>");
    expect(api.status).toBe(200);
    expect(events.map((e) => e.rawPath)).toEqual(["/health"]);
  });

  it("listens on 127.0.0.1", async () => {
    // Act
    const { server } = await capture();

    // Assert
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
