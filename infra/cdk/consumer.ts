import { Duration } from "aws-cdk-lib";
import { type EventPattern, Rule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { ConsumerModel } from "#infra/model.ts";
import type { DomainEventBus } from "./bus.ts";
import { RippleFunction } from "./function.ts";
import type { StageSettings } from "./stage.ts";
import type { PipelineTables } from "./tables.ts";

export interface ConsumerProps {
  /** The consumer's slice of the resolved model. */
  readonly consumer: ConsumerModel;
  /** Its configuration variable (`RIPPLE_CONFIG_<NAME>`), rendered for this stage. */
  readonly environment: Readonly<Record<string, string>>;
  readonly stage: StageSettings;
  readonly tables: PipelineTables;
  readonly bus: DomainEventBus;
  readonly projectRoot: string;
}

/** The CDK form of an EventBridge pattern (`detail-type` is spelt `detailType` there). */
export function cdkEventPattern(pattern: Readonly<Record<string, unknown>>): EventPattern {
  const { "detail-type": detailType, ...rest } = pattern;
  return { ...rest, ...(detailType === undefined ? {} : { detailType: detailType as string[] }) };
}

/**
 * One consumer: its function, the rule that subscribes it to its events (pattern and name derived
 * from the declaration), the target's retry policy, the function's asynchronous-invocation retries,
 * and one encrypted dead-letter queue for events EventBridge could not hand to Lambda and events
 * whose every attempt failed in the function.
 *
 * The function is granted exactly the tables and actions its slice names: reads, writes (with the
 * reads its conditional writes need), and adding items to the set-aside table.
 */
export class Consumer extends Construct {
  readonly fn: RippleFunction;
  readonly rule: Rule;
  /**
   * Name of the rule, as a literal. `rule.ruleName` resolves to the rule's `Ref`, which for a rule
   * on a custom bus is `bus|rule`, not the `RuleName` dimension of its metrics.
   */
  readonly ruleName: string;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: ConsumerProps) {
    super(scope, id);
    const { consumer, tables } = props;
    // One dead-letter queue for both ways an event can be given up on: EventBridge failing to
    // hand it to Lambda, and Lambda's asynchronous retries of a function error running out.
    // Either way the message body is the event.
    this.deadLetterQueue = new Queue(this, "DeadLetterQueue", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const { asyncInvoke } = consumer;
    this.fn = new RippleFunction(this, "Handler", {
      handler: consumer.handler,
      serviceName: consumer.service,
      description: consumer.description,
      timeoutSeconds: consumer.timeoutSeconds,
      memorySize: consumer.memorySize,
      stage: props.stage,
      projectRoot: props.projectRoot,
      environment: props.environment,
      reservedConcurrency: consumer.reservedConcurrency,
      asyncInvoke: {
        retryAttempts: asyncInvoke.maximumRetryAttempts,
        maxEventAge: Duration.seconds(asyncInvoke.maximumEventAgeInSeconds),
        deadLetterQueue: this.deadLetterQueue,
      },
    });
    for (const grant of consumer.tables) tables.grant(this.fn.function, grant);

    this.ruleName = consumer.rule.name;
    this.rule = new Rule(this, "Rule", {
      eventBus: props.bus.bus,
      ruleName: this.ruleName,
      description: `${consumer.name}: ${consumer.description}`,
      eventPattern: cdkEventPattern(consumer.rule.pattern),
    });
    const { targetRetry } = consumer;
    this.rule.addTarget(
      new LambdaFunction(this.fn.function, {
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: targetRetry.maximumRetryAttempts,
        maxEventAge: Duration.seconds(targetRetry.maximumEventAgeInSeconds),
      }),
    );
  }
}
