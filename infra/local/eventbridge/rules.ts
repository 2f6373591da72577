import type { PipelineDeclaration } from "../../declaration.ts";
import { resolveTargetRetry, ruleName, rulePattern, tableOf } from "../../topology.ts";

/** One rule of the declared bus with its one target, in PutRule / PutTargets terms. */
export interface DeclaredRule {
  readonly busName: string;
  /** Consumer this rule feeds. */
  readonly consumer: string;
  readonly ruleName: string;
  readonly description: string;
  readonly eventPattern: string;
  readonly target: {
    readonly Id: string;
    readonly Arn: string;
    readonly RetryPolicy: {
      readonly MaximumRetryAttempts: number;
      readonly MaximumEventAgeInSeconds: number;
    };
    readonly DeadLetterConfig: { readonly Arn: string };
  };
}

/**
 * The bus's rules as the pipeline declares them: one per consumer, pattern from `rulePattern`,
 * name from `ruleName`, one target (the consumer's function) with the consumer's retry policy and
 * the set-aside table as its dead-letter destination.
 *
 * The target id is the consumer's name and its ARN the Lambda function ARN named after the rule;
 * the runtime binds the handler with `registerFunctionTarget(ruleName, consumerName, fn)`.
 */
export function declaredRules(
  pipeline: PipelineDeclaration,
  env: { readonly region: string; readonly accountId: string },
): DeclaredRule[] {
  const deadLetterTable = tableOf(pipeline, pipeline.fanOut.setAsideTable).tableName;
  return pipeline.consumers.map((consumer) => {
    const name = ruleName(pipeline, consumer);
    const retry = resolveTargetRetry(consumer);
    return {
      busName: pipeline.bus.name,
      consumer: consumer.name,
      ruleName: name,
      description: consumer.description,
      eventPattern: JSON.stringify(rulePattern(consumer)),
      target: {
        Id: consumer.name,
        Arn: `arn:aws:lambda:${env.region}:${env.accountId}:function:${name}`,
        RetryPolicy: {
          MaximumRetryAttempts: retry.maximumRetryAttempts,
          MaximumEventAgeInSeconds: retry.maximumEventAgeInSeconds,
        },
        DeadLetterConfig: { Arn: `arn:aws:dynamodb:${env.region}:${env.accountId}:table/${deadLetterTable}` },
      },
    };
  });
}
