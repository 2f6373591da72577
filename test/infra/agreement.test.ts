import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { declaredRules } from "#infra/local/eventbridge/rules.ts";
import { createTableInput } from "#infra/local/tables.ts";
import { pipeline } from "#infra/pipeline.ts";
import {
  resolveAsyncInvoke,
  resolveMappingSettings,
  ruleName,
  rulePattern,
  tableOf,
} from "#infra/topology.ts";
import { type Synthesized, synthesize, type TemplateResource } from "./synth.ts";

/**
 * The synthesized template and the local runtime agree: both come from infra/pipeline.ts, and here
 * the template is read back and compared with what the local runtime derives from the same
 * declaration (`createTableInput` for tables, `resolveMappingSettings` for the pollers,
 * `rulePattern` / `ruleName` for the local bus).
 */

let dev: Synthesized;

beforeAll(() => {
  ({ dev } = synthesize(["dev"]));
});

type Resource = TemplateResource;
const resources = (type: string): Resource[] =>
  Object.values(dev.json.Resources).filter((r): r is Resource => r.Type === type);
const sortBy = <T>(items: readonly T[] | undefined, key: (item: T) => string): T[] =>
  [...(items ?? [])].sort((a, b) => key(a).localeCompare(key(b)));

/** The CreateTable shape of a template's table, without the stage prefix of its name. */
function tableFromTemplate(resource: Resource) {
  const p = resource.Properties;
  return {
    TableName: String(p.TableName).replace(/^dev-/, ""),
    BillingMode: p.BillingMode,
    AttributeDefinitions: sortBy(
      p.AttributeDefinitions as { AttributeName: string }[],
      (a) => a.AttributeName,
    ),
    KeySchema: p.KeySchema,
    GlobalSecondaryIndexes: p.GlobalSecondaryIndexes,
    StreamSpecification:
      p.StreamSpecification === undefined
        ? undefined
        : { StreamEnabled: true, StreamViewType: p.StreamSpecification.StreamViewType },
    TimeToLive: p.TimeToLiveSpecification?.AttributeName,
  };
}

describe("template and local runtime", () => {
  it.each(Object.entries(pipeline.tables).map(([key, table]) => ({ description: key, table })))(
    "create $description with the same keys, indexes, stream and TTL",
    ({ table }) => {
      // Arrange
      const local = createTableInput(table);
      const expected = {
        TableName: local.TableName,
        BillingMode: local.BillingMode,
        AttributeDefinitions: sortBy(local.AttributeDefinitions, (a) => a.AttributeName ?? ""),
        KeySchema: local.KeySchema,
        GlobalSecondaryIndexes: local.GlobalSecondaryIndexes,
        StreamSpecification: local.StreamSpecification,
        TimeToLive: table.timeToLiveAttribute,
      };

      // Act
      const inTemplate = resources("AWS::DynamoDB::Table")
        .map(tableFromTemplate)
        .find((t) => t.TableName === table.tableName);

      // Assert
      expect(inTemplate).toEqual(expected);
    },
  );

  it("declare the same set of tables", () => {
    // Arrange
    const local = Object.values(pipeline.tables).map((t) => createTableInput(t).TableName);

    // Act
    const inTemplate = resources("AWS::DynamoDB::Table").map((r) => tableFromTemplate(r).TableName);

    // Assert
    expect(inTemplate.sort()).toEqual(local.sort());
  });

  it.each(pipeline.sources.map((source) => ({ description: source.table, source })))(
    "poll the $description stream with the same mapping settings and filters",
    ({ source }) => {
      // Arrange
      const local = resolveMappingSettings(source);
      const tableLogicalId = dev.stack.getLogicalId(
        dev.stack.tables.table(source.table).node.defaultChild as never,
      );

      // Act
      const mapping = resources("AWS::Lambda::EventSourceMapping").find(
        (m) =>
          JSON.stringify(m.Properties.EventSourceArn) ===
          JSON.stringify({ "Fn::GetAtt": [tableLogicalId, "StreamArn"] }),
      );
      const p = mapping?.Properties ?? {};

      // Assert
      expect({
        batchSize: p.BatchSize,
        maximumBatchingWindowInSeconds: p.MaximumBatchingWindowInSeconds ?? 0,
        bisectBatchOnFunctionError: p.BisectBatchOnFunctionError ?? false,
        maximumRetryAttempts: p.MaximumRetryAttempts ?? -1,
        maximumRecordAgeInSeconds: p.MaximumRecordAgeInSeconds ?? -1,
        parallelizationFactor: p.ParallelizationFactor ?? 1,
        startingPosition: p.StartingPosition,
        reportBatchItemFailures: (p.FunctionResponseTypes ?? []).includes("ReportBatchItemFailures"),
        filterPatterns: (p.FilterCriteria?.Filters ?? []).map((f: { Pattern: string }) =>
          JSON.parse(f.Pattern),
        ),
      }).toEqual(local);
    },
  );

  it("poll exactly the declared sources", () => {
    // Arrange
    const declared = pipeline.sources.map((s) => `dev-${tableOf(pipeline, s.table).tableName}`).sort();

    // Act
    const mapped = dev.stack.fanOut.fn.function.node.children
      .filter((c) => c.node.id.startsWith("DynamoDBEventSource"))
      .map((c) => c.node.id);

    // Assert
    expect(resources("AWS::Lambda::EventSourceMapping")).toHaveLength(declared.length);
    expect(mapped).toHaveLength(declared.length);
  });

  it.each(pipeline.consumers.map((consumer) => ({ description: consumer.name, consumer })))(
    "route events to $description by the same rule name and pattern",
    ({ consumer }) => {
      // Arrange
      const name = ruleName(pipeline, consumer);

      // Act
      const rule = resources("AWS::Events::Rule").find((r) => r.Properties.Name === name);

      // Assert
      expect(rule?.Properties.EventPattern).toEqual(rulePattern(consumer));
    },
  );

  it.each(pipeline.consumers.map((consumer) => ({ description: consumer.name, consumer })))(
    "retry events for $description as long, and keep the given-up ones, the same way",
    ({ consumer }) => {
      // Arrange
      const localTarget = declaredRules(pipeline, { region: "us-east-1", accountId: "0" }).find(
        (r) => r.consumer === consumer.name,
      )?.target;
      const localAsync = resolveAsyncInvoke(consumer);
      const built = dev.stack.consumers.find((c) => c.node.id === consumer.name)!;
      const functionId = dev.stack.getLogicalId(built.fn.function.node.defaultChild as never);
      const queueId = dev.stack.getLogicalId(built.deadLetterQueue.node.defaultChild as never);

      // Act
      const target = resources("AWS::Events::Rule").find(
        (r) => r.Properties.Name === ruleName(pipeline, consumer),
      )?.Properties.Targets[0];
      const invokeConfig = resources("AWS::Lambda::EventInvokeConfig").find(
        (r) => r.Properties.FunctionName.Ref === functionId,
      )?.Properties;
      const fn = dev.json.Resources[functionId]?.Properties;

      // Assert
      expect(target.RetryPolicy).toEqual(localTarget?.RetryPolicy);
      expect(target.DeadLetterConfig).toEqual({ Arn: { "Fn::GetAtt": [queueId, "Arn"] } });
      expect({
        maximumRetryAttempts: invokeConfig?.MaximumRetryAttempts,
        maximumEventAgeInSeconds: invokeConfig?.MaximumEventAgeInSeconds,
      }).toEqual(localAsync);
      expect(fn?.DeadLetterConfig).toEqual({ TargetArn: { "Fn::GetAtt": [queueId, "Arn"] } });
      expect(fn?.ReservedConcurrentExecutions).toBe(consumer.reservedConcurrency);
    },
  );

  it("subscribe no rule the declaration does not name", () => {
    // Arrange
    const declared = pipeline.consumers.map((c) => ruleName(pipeline, c)).sort();

    // Act
    const inTemplate = resources("AWS::Events::Rule").map((r) => r.Properties.Name);

    // Assert
    expect(inTemplate.sort()).toEqual(declared);
    dev.template.resourceCountIs("AWS::Events::Rule", declared.length);
    dev.template.hasResourceProperties("AWS::Events::Rule", { EventBusName: Match.anyValue() });
  });
});
