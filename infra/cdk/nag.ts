import { Validations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";
import { PUBLIC_ROUTES } from "./api.ts";
import type { RippleFunction } from "./function.ts";
import type { RippleStack } from "./stack.ts";

/** One accepted cdk-nag finding: the rule (with finding id where the rule has several) and why. */
export interface AcceptedFinding {
  readonly id: string;
  readonly reason: string;
}

/** Why each accepted finding is accepted; the cdk-nag test lists exactly these. */
export const ACCEPTED_FINDINGS = {
  xray: {
    id: "AwsSolutions-IAM5[Resource::*]",
    reason:
      "Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions; the fan-out also needs dynamodb:ListStreams, which likewise takes only '*'. Every other statement names its resources (test/infra asserts no other action has Resource '*').",
  },
  runtime: {
    id: "AwsSolutions-L1",
    reason:
      "Functions run on Node.js 22, the version the bundles are built for (esbuild target node22) and the handlers are tested with; moving to a newer runtime is a deliberate upgrade, not a drift.",
  },
  deadLetterQueue: {
    id: "AwsSolutions-SQS3",
    reason:
      "This queue is itself a dead-letter queue (the fan-out's on-failure destination or an EventBridge target's DLQ); its messages are redriven by an operator (docs/runbook.md), and a DLQ behind it would only move them.",
  },
  publicRoute: {
    id: "AwsSolutions-APIG4",
    reason:
      "GET /health and GET /openapi.json are public by design: they read no data and write nothing; every other route is behind the IAM authorizer.",
  },
} as const satisfies Record<string, AcceptedFinding>;

const accept = (scope: IConstruct, finding: AcceptedFinding) => Validations.of(scope).acknowledge(finding);

/**
 * Acknowledges the cdk-nag AwsSolutions findings ripple accepts, each on the narrowest construct it
 * applies to. Anything else fails the cdk-nag test and `npm run synth`.
 */
export function suppressAcceptedFindings(stack: RippleStack): void {
  const functions: RippleFunction[] = [stack.fanOut.fn, ...stack.consumers.map((c) => c.fn), stack.api.fn];
  for (const fn of functions) {
    accept(fn.role, ACCEPTED_FINDINGS.xray);
    accept(fn.function, ACCEPTED_FINDINGS.runtime);
  }
  accept(stack.fanOut.onFailureQueue, ACCEPTED_FINDINGS.deadLetterQueue);
  for (const consumer of stack.consumers) accept(consumer.deadLetterQueue, ACCEPTED_FINDINGS.deadLetterQueue);
  for (const path of PUBLIC_ROUTES) {
    accept(stack.api.httpApi.node.findChild(`GET--${path.slice(1)}`), ACCEPTED_FINDINGS.publicRoute);
  }
}
