import { RemovalPolicy } from "aws-cdk-lib";
import { TableEncryption } from "aws-cdk-lib/aws-dynamodb";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import { isStage, STAGES, type Stage, stageName } from "#infra/topology.ts";
import { UnknownStageError } from "./errors.ts";

export { STAGES, type Stage, stageName };

/** What differs between stages: how hard data is to lose, how long logs live, who holds the keys. */
export interface StageSettings {
  readonly stage: Stage;
  /** Tables, keys and log groups: RETAIN keeps them when the stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
  /** DynamoDB deletion protection on every table. */
  readonly deletionProtection: boolean;
  /** Encryption at rest of every table: AWS managed key, or a customer managed key of the stack. */
  readonly tableEncryption: TableEncryption.AWS_MANAGED | TableEncryption.CUSTOMER_MANAGED;
  /** Retention of function and access logs. */
  readonly logRetention: RetentionDays;
}

const SETTINGS: Record<Stage, StageSettings> = {
  dev: {
    stage: "dev",
    removalPolicy: RemovalPolicy.DESTROY,
    deletionProtection: false,
    tableEncryption: TableEncryption.AWS_MANAGED,
    logRetention: RetentionDays.TWO_WEEKS,
  },
  prod: {
    stage: "prod",
    removalPolicy: RemovalPolicy.RETAIN,
    deletionProtection: true,
    tableEncryption: TableEncryption.CUSTOMER_MANAGED,
    logRetention: RetentionDays.THREE_MONTHS,
  },
};

/**
 * Settings of a stage, refusing an unknown name eagerly.
 *
 * @example
 * const settings = stageSettings(app.node.tryGetContext("stage") ?? "dev");
 */
export function stageSettings(stage: unknown): StageSettings {
  if (!isStage(stage)) {
    throw new UnknownStageError(
      `stage must be one of ${STAGES.join(", ")} (given ${JSON.stringify(stage)}); pass it as -c stage=dev or -c stage=prod`,
    );
  }
  return SETTINGS[stage];
}
