import type { Callback, Context } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { LambdaTimeoutError } from "#infra/local/errors.ts";
import { createLambdaContext, invokeHandler } from "#infra/local/lambda-context.ts";

describe("createLambdaContext", () => {
  it("fills the context the way Lambda does", () => {
    // Arrange
    const props = {
      functionName: "ripple-fan-out",
      timeoutSeconds: 60,
      memorySizeMB: 512,
      region: "eu-west-1",
    };

    // Act
    const context = createLambdaContext(props);

    // Assert
    expect(context).toMatchObject({
      functionName: "ripple-fan-out",
      functionVersion: "$LATEST",
      invokedFunctionArn: "arn:aws:lambda:eu-west-1:000000000000:function:ripple-fan-out",
      memoryLimitInMB: "512",
      awsRequestId: expect.stringMatching(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      ),
      logGroupName: "/aws/lambda/ripple-fan-out",
      logStreamName: expect.stringMatching(/^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/),
    });
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(context.getRemainingTimeInMillis()).toBeLessThanOrEqual(60_000);
  });

  it("gives every invocation its own request id", () => {
    // Arrange
    const props = { functionName: "f", timeoutSeconds: 1 };

    // Act
    const ids = new Set(Array.from({ length: 5 }, () => createLambdaContext(props).awsRequestId));

    // Assert
    expect(ids.size).toBe(5);
  });
});

describe("invokeHandler", () => {
  const context = () => createLambdaContext({ functionName: "f", timeoutSeconds: 5 });

  it.each([
    { description: "an async handler", handler: async (event: number) => event * 2 },
    { description: "a plain handler", handler: (event: number) => event * 2 },
    {
      description: "a callback handler",
      handler: (event: number, _context: Context, callback: Callback<number>) => {
        setImmediate(() => callback(null, event * 2));
      },
    },
  ])("settles with the result of $description", async ({ handler }) => {
    // Arrange
    // Act
    const result = await invokeHandler(handler as never, 21, context(), { timeoutSeconds: 5 });

    // Assert
    expect(result).toBe(42);
  });

  it.each([
    {
      description: "throws",
      handler: () => {
        throw new Error("boom");
      },
    },
    { description: "rejects", handler: async () => Promise.reject(new Error("boom")) },
    {
      description: "calls back with an error",
      handler: (_e: unknown, _c: Context, callback: Callback) => callback(new Error("boom")),
    },
  ])("fails with the handler's error when it $description", async ({ handler }) => {
    // Arrange
    // Act
    const invocation = invokeHandler(handler as never, {}, context(), { timeoutSeconds: 5 });

    // Assert
    await expect(invocation).rejects.toThrow("boom");
  });

  it("fails with LambdaTimeoutError when the handler outlives its timeout", async () => {
    // Arrange
    const never = () => new Promise(() => {});

    // Act
    const invocation = invokeHandler(never, {}, context(), { timeoutSeconds: 0.05 });

    // Assert
    await expect(invocation).rejects.toThrow(LambdaTimeoutError);
    await expect(invocation).rejects.toThrow(/f timed out after 0.05 s .*raise its timeoutSeconds/);
  });

  it("stops waiting when its signal aborts", async () => {
    // Arrange
    const controller = new AbortController();
    const never = () => new Promise(() => {});

    // Act
    const invocation = invokeHandler(never, {}, context(), { timeoutSeconds: 60, signal: controller.signal });
    controller.abort(new Error("shutting down"));

    // Assert
    await expect(invocation).rejects.toThrow("shutting down");
  });
});
