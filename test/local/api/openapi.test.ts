import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routes } from "../../../functions/api/routes/index.ts";
import { type ApiHarness, startApiHarness } from "./harness.ts";

let api: ApiHarness;

beforeAll(async () => {
  api = await startApiHarness();
});

afterAll(async () => {
  await api?.stop();
});

describe("GET /openapi.json through the local HTTP adapter", () => {
  it("answers an OpenAPI 3.1 document without a token", async () => {
    // Act
    const response = await api.request("GET", "/openapi.json", { token: null });

    // Assert
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(response.json).toMatchObject({
      openapi: "3.1.0",
      info: { title: expect.any(String), version: expect.any(String) },
      jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
      components: { securitySchemes: { bearerAuth: { type: "http", scheme: "bearer" } } },
    });
  });

  it("names every route the API serves, and no other", async () => {
    // Act
    const doc = (await api.request("GET", "/openapi.json", { token: null })).json;

    // Assert
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, operations]) => Object.keys(operations).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(documented).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
    expect(documented).toEqual(
      expect.arrayContaining([
        "GET /car-parks",
        "POST /car-parks/simulate",
        "POST /car-parks",
        "GET /car-parks/{carParkId}",
        "PUT /car-parks/{carParkId}/occupancy",
        "GET /users/{userId}/entries",
        "DELETE /users/{userId}/entries/{timestamp}",
        "PATCH /users/{userId}/entries/{timestamp}",
        "PATCH /users/{userId}",
        "PATCH /users/{userId}/goals/{goalId}",
        "DELETE /users/{userId}/goals/{goalId}",
        "GET /pets/{id}",
        "PATCH /users/{userId}/events/{eventId}",
        "DELETE /carts/{userId}/items/{bookId}",
        "GET /openapi.json",
        "GET /health",
      ]),
    );
  });
});
