import { randomBytes, randomUUID } from "node:crypto";
import type { Callback, Context, Handler } from "aws-lambda";
import { LambdaTimeoutError } from "./errors.ts";

/**
 * A Lambda-shaped `context` for handlers run in-process by the local runtime (stream pollers,
 * EventBridge targets, the HTTP API), and a way to invoke a handler with Lambda's timeout.
 *
 * The same handler code runs in AWS and locally; what it may read from `context` (request id,
 * function name and ARN, memory, remaining time) is filled in the way Lambda fills it.
 */

/** Account id the local runtime uses in ARNs (DynamoDB Local uses the same). */
export const LOCAL_ACCOUNT_ID = "000000000000";

export interface LambdaContextProps {
  readonly functionName: string;
  /** Seconds the function may run; `getRemainingTimeInMillis()` counts down from it. */
  readonly timeoutSeconds: number;
  /** @default 128 */
  readonly memorySizeMB?: number;
  /** @default process.env.AWS_REGION, else "us-east-1" */
  readonly region?: string;
  /** @default {@link LOCAL_ACCOUNT_ID} */
  readonly accountId?: string;
  /** @default "$LATEST" */
  readonly functionVersion?: string;
  /** @default a fresh UUID */
  readonly awsRequestId?: string;
}

/** ARN of a function, as Lambda writes it. */
export function functionArn(
  functionName: string,
  region: string,
  accountId: string = LOCAL_ACCOUNT_ID,
): string {
  return `arn:aws:lambda:${region}:${accountId}:function:${functionName}`;
}

const unsupported = (what: string) => () => {
  throw new TypeError(
    `context.${what}() is a deprecated Lambda API the local runtime does not provide; return a value (or a promise) from the handler instead`,
  );
};

/** Builds the context of one invocation; the clock for remaining time starts now. */
export function createLambdaContext(props: LambdaContextProps): Context {
  const region = props.region ?? process.env.AWS_REGION ?? "us-east-1";
  const version = props.functionVersion ?? "$LATEST";
  const deadline = Date.now() + props.timeoutSeconds * 1000;
  const day = new Date().toISOString().slice(0, 10).replaceAll("-", "/");
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: props.functionName,
    functionVersion: version,
    invokedFunctionArn: functionArn(props.functionName, region, props.accountId),
    memoryLimitInMB: String(props.memorySizeMB ?? 128),
    awsRequestId: props.awsRequestId ?? randomUUID(),
    logGroupName: `/aws/lambda/${props.functionName}`,
    logStreamName: `${day}/[${version}]${randomBytes(16).toString("hex")}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported("done"),
    fail: unsupported("fail"),
    succeed: unsupported("succeed"),
  };
}

/** Any Lambda handler: async, plain (its return value is the result), or Node.js callback style. */
export type LambdaHandler<TEvent, TResult> = Handler<TEvent, TResult>;

/**
 * Invokes a handler as Lambda does: with a fresh context, settling with its result or its error,
 * and failing with {@link LambdaTimeoutError} when it outlives `timeoutSeconds`.
 *
 * Like Lambda, a timed-out invocation counts as failed; unlike Lambda, the handler's work cannot be
 * frozen, so it may still finish in the background. `signal` abandons the wait (on shutdown).
 */
export async function invokeHandler<TEvent, TResult>(
  handler: LambdaHandler<TEvent, TResult>,
  event: TEvent,
  context: Context,
  options: { readonly timeoutSeconds: number; readonly signal?: AbortSignal },
): Promise<TResult | undefined> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await new Promise<TResult | undefined>((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        fn();
      };
      timer = setTimeout(
        () =>
          settle(() =>
            reject(
              new LambdaTimeoutError(
                `${context.functionName} timed out after ${options.timeoutSeconds} s (request ${context.awsRequestId}); make it faster or raise its timeoutSeconds in infra/pipeline.ts`,
              ),
            ),
          ),
        options.timeoutSeconds * 1000,
      );
      if (options.signal !== undefined) {
        onAbort = () => settle(() => reject(options.signal?.reason ?? new Error("aborted")));
        if (options.signal.aborted) onAbort();
        else options.signal.addEventListener("abort", onAbort, { once: true });
      }
      const callback: Callback<TResult> = (error, result) =>
        settle(() => (error ? reject(error) : resolve(result)));
      try {
        const returned = handler(event, context, callback);
        if (returned !== undefined && typeof (returned as Promise<TResult>).then === "function") {
          (returned as Promise<TResult>).then(
            (value) => settle(() => resolve(value)),
            (error: unknown) => settle(() => reject(error)),
          );
        } else if (handler.length < 3) {
          // Takes no callback, so what it returned is its result.
          settle(() => resolve(returned as TResult | undefined));
        }
      } catch (error) {
        settle(() => reject(error));
      }
    });
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) options.signal?.removeEventListener("abort", onAbort);
  }
}
