import { MethodNotAllowedError, NotFoundError, ValidationError } from "./errors.ts";
import type { AnyRoute } from "./route.ts";

/** A route matched to a request path, with the raw (decoded) path parameters. */
export interface RouteMatch {
  readonly route: AnyRoute;
  readonly params: Readonly<Record<string, string>>;
}

interface CompiledPath {
  readonly template: string;
  /** Literal segment, or `{name}` → the parameter's name. */
  readonly segments: readonly ({ literal: string } | { param: string })[];
  readonly byMethod: Map<string, AnyRoute>;
}

/**
 * Matches requests to routes. The table is compiled once: path templates are split into
 * segments, grouped by template, so a request costs one pass over the segments per template.
 */
export class Router {
  readonly #paths: CompiledPath[] = [];

  constructor(routes: readonly AnyRoute[]) {
    for (const route of routes) {
      let compiled = this.#paths.find((p) => p.template === route.path);
      if (compiled === undefined) {
        compiled = {
          template: route.path,
          segments: route.path
            .split("/")
            .slice(1)
            .map((s) => (s.startsWith("{") && s.endsWith("}") ? { param: s.slice(1, -1) } : { literal: s })),
          byMethod: new Map(),
        };
        this.#paths.push(compiled);
      }
      if (compiled.byMethod.has(route.method)) {
        throw new Error(
          `route ${route.method} ${route.path} is declared twice; declare each method and path once`,
        );
      }
      compiled.byMethod.set(route.method, route);
    }
    // Literal segments win over parameters (`/car-parks/simulate` before `/car-parks/{id}`).
    this.#paths.sort((a, b) => literalWeight(b) - literalWeight(a));
  }

  /**
   * The route for a method and raw (percent-encoded) path.
   * @throws NotFoundError when no template matches, MethodNotAllowedError (with the allowed
   *   methods) when one matches with other methods, ValidationError for bad percent-encoding
   */
  match(method: string, rawPath: string): RouteMatch {
    const segments = rawPath.split("/").slice(1);
    if (segments.length > 1 && segments[segments.length - 1] === "") segments.pop();
    const allowed = new Set<string>();
    for (const path of this.#paths) {
      const params = matchSegments(path, segments);
      if (params === undefined) continue;
      const route = path.byMethod.get(method);
      if (route !== undefined) return { route, params };
      for (const m of path.byMethod.keys()) allowed.add(m);
    }
    if (allowed.size > 0) {
      const allow = [...allowed].sort();
      throw new MethodNotAllowedError(
        `${method} is not allowed on ${rawPath}; use ${allow.join(" or ")}`,
        allow,
      );
    }
    throw new NotFoundError(`no route for ${method} ${rawPath}; GET /openapi.json lists every route`);
  }
}

function literalWeight(path: CompiledPath): number {
  return path.segments.reduce((w, s, i) => w + ("literal" in s ? 2 ** (16 - i) : 0), 0);
}

function matchSegments(path: CompiledPath, segments: readonly string[]): Record<string, string> | undefined {
  if (path.segments.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, expected] of path.segments.entries()) {
    const actual = segments[i]!;
    if ("literal" in expected) {
      if (actual !== expected.literal) return undefined;
      continue;
    }
    if (actual === "") return undefined;
    try {
      params[expected.param] = decodeURIComponent(actual);
    } catch (error) {
      throw new ValidationError(
        `path segment ${JSON.stringify(actual)} is not valid percent-encoding; encode ${expected.param} with encodeURIComponent`,
        [{ path: `path.${expected.param}`, value: actual, expected: "valid percent-encoded UTF-8" }],
        { cause: error },
      );
    }
  }
  return params;
}
