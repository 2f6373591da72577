import { type CfnElement, Stack, Validations } from "aws-cdk-lib";
import type { HttpApi } from "aws-cdk-lib/aws-apigatewayv2";
import type { IBucket } from "aws-cdk-lib/aws-s3";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import type { IConstruct } from "constructs";
import type { PublicRouteModel } from "#infra/model.ts";
import type { RippleFunction } from "./function.ts";

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
      "Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions. Every other statement names its resources (test/infra asserts no other action has Resource '*').",
  },
  streamList: {
    id: "AwsSolutions-IAM5[Resource::<TABLE.Arn>/stream/*]",
    reason:
      "The fan-out lists the streams of each source table: dynamodb:ListStreams is scoped to arn:…:table/NAME/stream/*, the narrowest resource AWS documents for it (a table's stream label changes whenever its stream is re-enabled).",
  },
  runtime: {
    id: "AwsSolutions-L1",
    reason:
      "Functions run on Node.js 22, the version the bundles are built for (esbuild target node22) and the handlers are tested with; moving to a newer runtime is a deliberate upgrade, not a drift.",
  },
  deadLetterQueue: {
    id: "AwsSolutions-SQS3",
    reason:
      "This queue is itself a dead-letter queue (an EventBridge target's and its consumer's asynchronous invocations'); its messages are redriven by an operator (docs/runbook.md), and a DLQ behind it would only move them.",
  },
  onFailureAccessLogs: {
    id: "AwsSolutions-S1",
    reason:
      "The on-failure bucket is written only by Lambda's event source mappings through the fan-out's role and read by npm run redrive; server access logs would need a second bucket whose own logs raise the same finding. CloudTrail data events record who reads or deletes its objects (docs/runbook.md).",
  },
  onFailureObjects: {
    id: "AwsSolutions-IAM5[Resource::<BUCKET.Arn>/aws/lambda/*]",
    reason:
      "Lambda writes each given-up stream batch to the on-failure bucket under a key it makes up (aws/lambda/<mapping UUID>/<shard>/<date>/<time>-<uuid>); s3:PutObject is scoped to that prefix of that bucket, the narrowest resource the keys allow.",
  },
  publicRoute: {
    id: "AwsSolutions-APIG4",
    reason:
      "GET /health and GET /openapi.json are public by design: they read no data and write nothing; every other route is behind the IAM authorizer.",
  },
} as const satisfies Record<string, AcceptedFinding>;

/** The constructs the accepted findings apply to. */
export interface AcceptedFindingsProps {
  readonly functions: readonly RippleFunction[];
  /** Queues that are themselves dead-letter queues. */
  readonly deadLetterQueues: readonly IQueue[];
  /** The fan-out's on-failure bucket. */
  readonly onFailureBucket: IBucket;
  readonly httpApi: HttpApi;
  readonly publicRoutes: readonly PublicRouteModel[];
  /** The fan-out's function and the tables whose streams it lists. */
  readonly streamReader: { readonly fn: RippleFunction; readonly tables: readonly IConstruct[] };
}

const accept = (scope: IConstruct, finding: AcceptedFinding) => Validations.of(scope).acknowledge(finding);

/**
 * Acknowledges the cdk-nag AwsSolutions findings ripple accepts, each on the narrowest construct it
 * applies to. Anything else fails the cdk-nag test and `npm run synth`.
 */
export function suppressAcceptedFindings(props: AcceptedFindingsProps): void {
  for (const fn of props.functions) {
    accept(fn.role, ACCEPTED_FINDINGS.xray);
    accept(fn.function, ACCEPTED_FINDINGS.runtime);
  }
  for (const queue of props.deadLetterQueues) accept(queue, ACCEPTED_FINDINGS.deadLetterQueue);
  accept(props.onFailureBucket, ACCEPTED_FINDINGS.onFailureAccessLogs);
  const bucket = Stack.of(props.onFailureBucket).getLogicalId(
    props.onFailureBucket.node.defaultChild as CfnElement,
  );
  accept(props.streamReader.fn.role, {
    id: ACCEPTED_FINDINGS.onFailureObjects.id.replace("<BUCKET.Arn>", `<${bucket}.Arn>`),
    reason: ACCEPTED_FINDINGS.onFailureObjects.reason,
  });
  for (const table of props.streamReader.tables) {
    const logicalId = Stack.of(table).getLogicalId(table.node.defaultChild as CfnElement);
    accept(props.streamReader.fn.role, {
      id: ACCEPTED_FINDINGS.streamList.id.replace("<TABLE.Arn>", `<${logicalId}.Arn>`),
      reason: ACCEPTED_FINDINGS.streamList.reason,
    });
  }
  for (const route of props.publicRoutes) {
    accept(
      props.httpApi.node.findChild(`${route.method}--${route.path.slice(1)}`),
      ACCEPTED_FINDINGS.publicRoute,
    );
  }
}
