import { describe, expect, it } from "vitest";
import * as z from "zod";
import { MethodNotAllowedError, NotFoundError, ValidationError } from "../../../functions/api/errors.ts";
import { defineRoute } from "../../../functions/api/route.ts";
import { Router } from "../../../functions/api/router.ts";

const route = (method: "GET" | "POST" | "PUT", path: string) =>
  defineRoute({
    method,
    path,
    operationId: `${method}${path}`,
    tag: "t",
    summary: "s",
    params: z.object({}).passthrough(),
    responses: {},
    async handle() {
      return { status: 200, body: path };
    },
  });

const router = new Router([
  route("GET", "/car-parks/{carParkId}"),
  route("POST", "/car-parks/simulate"),
  route("PUT", "/car-parks/{carParkId}/occupancy"),
  route("GET", "/pets"),
  route("POST", "/pets"),
]);

describe("Router", () => {
  it("prefers a literal segment over a parameter", () => {
    // Act
    const match = router.match("POST", "/car-parks/simulate");

    // Assert
    expect(match.route.path).toBe("/car-parks/simulate");
  });

  it("decodes percent-encoded path parameters", () => {
    // Act
    const match = router.match("PUT", "/car-parks/CP%20001/occupancy");

    // Assert
    expect(match.params).toEqual({ carParkId: "CP 001" });
  });

  it("answers an unknown path with NotFoundError", () => {
    // Act / Assert
    expect(() => router.match("GET", "/parrots")).toThrow(NotFoundError);
  });

  it("answers a known path with another method with the allowed methods", () => {
    // Act
    const error = (() => {
      try {
        router.match("DELETE", "/pets");
      } catch (e) {
        return e;
      }
    })();

    // Assert
    expect(error).toBeInstanceOf(MethodNotAllowedError);
    expect((error as MethodNotAllowedError).headers).toEqual({ allow: "GET, POST" });
  });

  it("refuses broken percent-encoding with a ValidationError naming the parameter", () => {
    // Act / Assert
    expect(() => router.match("GET", "/car-parks/%E0%A4%A")).toThrow(ValidationError);
  });

  it("refuses a route declared twice", () => {
    // Act / Assert
    expect(() => new Router([route("GET", "/pets"), route("GET", "/pets")])).toThrow(/declared twice/);
  });
});
