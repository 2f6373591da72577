import { createHash, timingSafeEqual } from "node:crypto";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { UnauthorizedError } from "./errors.ts";

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/**
 * Lets a request through or throws {@link UnauthorizedError}.
 *
 * In AWS an authorizer on the HTTP API (IAM) has already checked the caller and put its result in
 * `requestContext.authorizer`; that is trusted. Otherwise (the local runtime) the request must
 * carry `Authorization: Bearer <token>`. Tokens are compared as SHA-256 digests with
 * `timingSafeEqual`, so the time taken says nothing about the token, not even its length.
 */
export function authenticate(event: APIGatewayProxyEventV2, expected: Buffer | undefined): void {
  const authorizer = (event.requestContext as { authorizer?: unknown }).authorizer;
  if (authorizer !== undefined && authorizer !== null) return;
  if (expected === undefined) {
    throw new UnauthorizedError(
      "this API has no token configured and the request carries no authorizer result; set RIPPLE_API_TOKEN (local) or call it through the HTTP API's authorizer (AWS)",
    );
  }
  const header = event.headers?.authorization;
  if (header === undefined || header === "") {
    throw new UnauthorizedError("missing Authorization header; send `Authorization: Bearer <token>`");
  }
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (match === null) {
    throw new UnauthorizedError(
      "Authorization header is not a bearer token; send `Authorization: Bearer <token>`",
    );
  }
  if (!timingSafeEqual(digest(match[1]!), expected)) {
    throw new UnauthorizedError(
      "bearer token is not valid; use the token the runtime printed (RIPPLE_API_TOKEN)",
    );
  }
}

/** The digest {@link authenticate} compares against, computed once from the configured token. */
export function tokenDigest(token: string | undefined): Buffer | undefined {
  return token === undefined || token === "" ? undefined : digest(token);
}
