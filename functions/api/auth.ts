import { createHash, timingSafeEqual } from "node:crypto";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { UnauthorizedError } from "./errors.ts";

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** The caller as an authorizer describes it: the IAM principal, a JWT's issuer and subject, or what a Lambda authorizer returned. */
function principalOf(authorizer: unknown): string {
  const a = authorizer as {
    iam?: { userArn?: string; userId?: string; accountId?: string };
    jwt?: { claims?: { iss?: unknown; sub?: unknown } };
    lambda?: unknown;
  };
  if (a.iam?.userArn !== undefined) return `iam:${a.iam.userArn}`;
  if (a.iam !== undefined) return `iam:${a.iam.accountId ?? ""}:${a.iam.userId ?? ""}`;
  if (a.jwt?.claims !== undefined) return `jwt:${String(a.jwt.claims.iss)}:${String(a.jwt.claims.sub)}`;
  if (a.lambda !== undefined) return `lambda:${JSON.stringify(a.lambda)}`;
  return `authorizer:${JSON.stringify(authorizer)}`;
}

/**
 * Lets a request through or throws {@link UnauthorizedError}; returns who the caller is, as a
 * SHA-256 hex digest (so neither a token nor an ARN is kept anywhere it is used, such as
 * Idempotency-Key records).
 *
 * In AWS an authorizer on the HTTP API (IAM) has already checked the caller and put its result in
 * `requestContext.authorizer`; that is trusted, and the caller is its principal
 * (`authorizer.iam.userArn`). Otherwise (the local runtime) the request must carry
 * `Authorization: Bearer <token>`, and the caller is the token's holder. Tokens are compared as
 * SHA-256 digests with `timingSafeEqual`, so the time taken says nothing about the token, not
 * even its length.
 */
export function authenticate(event: APIGatewayProxyEventV2, expected: Buffer | undefined): string {
  const authorizer = (event.requestContext as { authorizer?: unknown }).authorizer;
  if (authorizer !== undefined && authorizer !== null) {
    return digest(principalOf(authorizer)).toString("hex");
  }
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
  const given = digest(match[1]!);
  if (!timingSafeEqual(given, expected)) {
    throw new UnauthorizedError(
      "bearer token is not valid; use the token the runtime printed (RIPPLE_API_TOKEN)",
    );
  }
  return digest(`token:${given.toString("hex")}`).toString("hex");
}

/** The digest {@link authenticate} compares against, computed once from the configured token. */
export function tokenDigest(token: string | undefined): Buffer | undefined {
  return token === undefined || token === "" ? undefined : digest(token);
}
