import * as z from "zod";
import { buildOpenApi } from "../openapi.ts";
import { type AnyRoute, defineRoute } from "../route.ts";
import { carbonRoutes } from "./carbon.ts";
import { cartRoutes } from "./carts.ts";
import { parkingRoutes } from "./parking.ts";
import { petRoutes } from "./pets.ts";
import { storeStatsRoutes } from "./store-stats.ts";
import { storedEventRoutes } from "./stored-events.ts";

const dataRoutes: readonly AnyRoute[] = [
  ...parkingRoutes,
  ...carbonRoutes,
  ...petRoutes,
  ...storedEventRoutes,
  ...cartRoutes,
  ...storeStatsRoutes,
];

let openApiDocument: object | undefined;

const systemRoutes: readonly AnyRoute[] = [
  defineRoute({
    method: "GET",
    path: "/health",
    operationId: "health",
    tag: "System",
    summary: "Liveness: answers without touching a table",
    public: true,
    responses: { 200: { description: "Up", schema: z.object({ status: z.literal("ok") }) } },
    async handle() {
      return { status: 200, body: { status: "ok" } };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/openapi.json",
    operationId: "openApi",
    tag: "System",
    summary: "This API's OpenAPI 3.1 document",
    public: true,
    responses: { 200: { description: "OpenAPI 3.1 document" } },
    async handle({ deps }) {
      openApiDocument ??= buildOpenApi(routes, deps.limits);
      return { status: 200, body: openApiDocument };
    },
  }),
];

/** Every route of the producer API. */
export const routes: readonly AnyRoute[] = [...systemRoutes, ...dataRoutes];
