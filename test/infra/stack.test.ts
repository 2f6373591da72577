import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type CfnElement, Stack } from "aws-cdk-lib";
import { Match } from "aws-cdk-lib/assertions";
import { Bucket } from "aws-cdk-lib/aws-s3";
import type { IConstruct } from "constructs";
import { beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "#infra/cdk/app.ts";
import { MissingHandlerError, UnknownStageError } from "#infra/cdk/errors.ts";
import { eventSourceProps, S3OnFailure } from "#infra/cdk/fan-out.ts";
import { WIDGETS } from "#infra/cdk/monitoring.ts";
import { stageSettings } from "#infra/cdk/stage.ts";
import { fanOutConfig } from "#infra/function-config.ts";
import { functionsOf, TABLE_ACCESS } from "#infra/model.ts";
import { model, pipeline } from "#infra/pipeline.ts";
import { resolveMappingSettings, ruleName, rulePattern, tableOf } from "#infra/topology.ts";
import { FanOutMetrics } from "#schemas/contracts.ts";
import { DomainEvents } from "#schemas/domain-events.ts";
import { expectTemplateSnapshot } from "../helpers/snapshot.ts";
import { type Synthesized, synthesize } from "./synth.ts";

let dev: Synthesized;
let prod: Synthesized;

beforeAll(() => {
  ({ dev, prod } = synthesize(["dev", "prod"]));
});

/** Logical id of a construct's CloudFormation resource. */
const logicalId = (s: Synthesized, construct: IConstruct): string => {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return s.stack.getLogicalId(element);
};
const getAtt = (s: Synthesized, construct: IConstruct, attribute: string) => ({
  "Fn::GetAtt": [logicalId(s, construct), attribute],
});
const ref = (s: Synthesized, construct: IConstruct) => ({ Ref: logicalId(s, construct) });

/** Every policy statement attached to a role, flattened. */
const statementsOf = (s: Synthesized, role: IConstruct): { Action: string | string[]; Resource: unknown }[] =>
  Object.values(s.json.Resources)
    .filter(
      (r) =>
        r.Type === "AWS::IAM::Policy" &&
        JSON.stringify(r.Properties.Roles) === JSON.stringify([ref(s, role)]),
    )
    .flatMap((r) => r.Properties.PolicyDocument.Statement);
/** Actions a role has on exactly this resource (not on ARNs built from it, such as its streams). */
const actionsOnExactly = (s: Synthesized, role: IConstruct, resource: unknown): string[] =>
  statementsOf(s, role)
    .filter((st) => [st.Resource].flat().some((r) => JSON.stringify(r) === JSON.stringify(resource)))
    .flatMap((st) => [st.Action].flat());
const actionsOn = (s: Synthesized, role: IConstruct, resource: unknown): string[] =>
  statementsOf(s, role)
    .filter((st) => JSON.stringify([st.Resource].flat()).includes(JSON.stringify(resource)))
    .flatMap((st) => [st.Action].flat());

/** The construct the stack built for the declared consumer `name`. */
const builtConsumer = (s: Synthesized, name: string) => s.stack.consumers.find((c) => c.node.id === name)!;
type BuiltConsumer = ReturnType<typeof builtConsumer>;

const tables = Object.entries(pipeline.tables).map(([key, table]) => ({ description: key, key, table }));

describe("tables", () => {
  it.each(tables)("creates $description on demand with its declared keys, stream and TTL", ({ table }) => {
    // Arrange
    const keySchema = [
      { AttributeName: table.partitionKey.name, KeyType: "HASH" },
      ...(table.sortKey === undefined ? [] : [{ AttributeName: table.sortKey.name, KeyType: "RANGE" }]),
    ];

    // Act
    const template = dev.template;

    // Assert
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      TableName: `dev-${table.tableName}`,
      KeySchema: keySchema,
      BillingMode: "PAY_PER_REQUEST",
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      DeletionProtectionEnabled: false,
      StreamSpecification: table.stream === undefined ? Match.absent() : { StreamViewType: table.stream },
      TimeToLiveSpecification:
        table.timeToLiveAttribute === undefined
          ? Match.absent()
          : { AttributeName: table.timeToLiveAttribute, Enabled: true },
      Tags: Match.arrayWith([
        { Key: "project", Value: "ripple" },
        { Key: "purpose", Value: Match.stringLikeRegexp(".+") },
        { Key: "seed", Value: /seed (\d{3})/.exec(table.purpose)?.[1] ?? "pipeline" },
        { Key: "stage", Value: "dev" },
      ]),
    });
  });

  it("creates the stored events' indexes as declared", () => {
    // Arrange
    const declared = tableOf(pipeline, "storedEvents").globalSecondaryIndexes ?? [];

    // Act
    const template = dev.template;

    // Assert
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      TableName: "dev-events",
      GlobalSecondaryIndexes: declared.map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey.name, KeyType: "HASH" },
          { AttributeName: index.sortKey?.name, KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "ALL" },
      })),
    });
    expect(declared.map((i) => i.indexName)).toEqual(["EventTypeIndex", "StatusIndex"]);
  });

  it.each([
    { description: "dev", stage: "dev" as const, policy: "Delete", protection: false },
    { description: "prod", stage: "prod" as const, policy: "Retain", protection: true },
  ])(
    "keeps tables as $description says (deletion policy and protection)",
    ({ stage, policy, protection }) => {
      // Arrange
      const s = stage === "dev" ? dev : prod;

      // Act
      const found = s.template.findResources("AWS::DynamoDB::Table");

      // Assert
      expect(Object.keys(found)).toHaveLength(Object.keys(pipeline.tables).length);
      for (const resource of Object.values(found)) {
        expect(resource.DeletionPolicy).toBe(policy);
        expect(resource.Properties.DeletionProtectionEnabled).toBe(protection);
      }
    },
  );

  it("encrypts prod tables with the stack's rotating customer managed key", () => {
    // Arrange
    const key = prod.stack.tables.encryptionKey!;

    // Act
    const template = prod.template;

    // Assert
    template.hasResourceProperties("AWS::KMS::Key", { EnableKeyRotation: true });
    template.resourcePropertiesCountIs(
      "AWS::DynamoDB::Table",
      { SSESpecification: { SSEEnabled: true, SSEType: "KMS", KMSMasterKeyId: getAtt(prod, key, "Arn") } },
      Object.keys(pipeline.tables).length,
    );
  });
});

describe("fan-out", () => {
  it("runs one Node.js 22 arm64 function with tracing, retained logs and its configuration", () => {
    // Arrange
    const fn = dev.stack.fanOut.fn;
    const config = fanOutConfig(model.fanOut, {
      table: (key) => `dev-${tableOf(pipeline, key).tableName}`,
      busName: "dev-ripple",
    });

    // Act
    const template = dev.template;

    // Assert
    template.hasResourceProperties("AWS::Lambda::Function", {
      Runtime: "nodejs22.x",
      Architectures: ["arm64"],
      TracingConfig: { Mode: "Active" },
      Timeout: pipeline.fanOut.timeoutSeconds,
      MemorySize: pipeline.fanOut.memorySize,
      LoggingConfig: { LogGroup: ref(dev, fn.logGroup) },
      Environment: {
        Variables: Match.objectEquals({
          NODE_OPTIONS: "--enable-source-maps",
          POWERTOOLS_SERVICE_NAME: "fan-out",
          POWERTOOLS_METRICS_NAMESPACE: "ripple",
          POWERTOOLS_LOG_LEVEL: "INFO",
          RIPPLE_CONFIG_FAN_OUT: JSON.stringify(config),
        }),
      },
    });
    template.hasResourceProperties("AWS::Logs::LogGroup", { RetentionInDays: 14 });
    prod.template.hasResourceProperties("AWS::Logs::LogGroup", { RetentionInDays: 90 });
  });

  it.each(pipeline.sources.map((source) => ({ description: source.table, source })))(
    "maps the $description stream with the declared batch, retry, age, bisect and filter settings",
    ({ source }) => {
      // Arrange
      const s = resolveMappingSettings(source);
      const table = dev.stack.tables.table(source.table);

      // Act
      const template = dev.template;

      // Assert
      template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
        EventSourceArn: getAtt(dev, table, "StreamArn"),
        FunctionName: ref(dev, dev.stack.fanOut.fn.function),
        StartingPosition: s.startingPosition,
        BatchSize: s.batchSize,
        MaximumBatchingWindowInSeconds: s.maximumBatchingWindowInSeconds,
        BisectBatchOnFunctionError: s.bisectBatchOnFunctionError,
        MaximumRetryAttempts: s.maximumRetryAttempts,
        MaximumRecordAgeInSeconds: s.maximumRecordAgeInSeconds,
        ParallelizationFactor: s.parallelizationFactor,
        FunctionResponseTypes: s.reportBatchItemFailures ? ["ReportBatchItemFailures"] : Match.absent(),
        MetricsConfig: { Metrics: ["EventCount"] },
        DestinationConfig: {
          OnFailure: { Destination: getAtt(dev, dev.stack.fanOut.onFailureBucket, "Arn") },
        },
        FilterCriteria:
          s.filterPatterns.length === 0
            ? Match.absent()
            : { Filters: s.filterPatterns.map((p) => ({ Pattern: JSON.stringify(p) })) },
      });
    },
  );

  it.each([
    { description: "dev", stage: () => dev },
    { description: "prod", stage: () => prod },
  ])(
    "sends every given-up stream batch to one encrypted, private, expiring S3 bucket, never to SQS ($description)",
    ({ stage }) => {
      // Arrange
      const s = stage();
      const bucket = s.stack.fanOut.onFailureBucket;
      const mappings = Object.values(s.template.findResources("AWS::Lambda::EventSourceMapping"));

      // Act
      const destinations = mappings.map((m) => m.Properties.DestinationConfig?.OnFailure?.Destination);
      const [resource] = Object.values(s.template.findResources("AWS::S3::Bucket")).filter(
        (_r, i) => Object.keys(s.template.findResources("AWS::S3::Bucket"))[i] === logicalId(s, bucket),
      );
      const policy = Object.values(s.template.findResources("AWS::S3::BucketPolicy")).find(
        (p) => JSON.stringify(p.Properties.Bucket) === JSON.stringify(ref(s, bucket)),
      );

      // Assert
      expect(mappings).toHaveLength(pipeline.sources.length);
      expect(destinations).toEqual(mappings.map(() => getAtt(s, bucket, "Arn")));
      expect(JSON.stringify(destinations)).not.toMatch(/sqs|Queue/i);
      expect(resource?.Properties.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
      });
      expect(resource?.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(resource?.Properties.LifecycleConfiguration.Rules).toEqual([
        expect.objectContaining({ ExpirationInDays: model.fanOut.onFailureRetentionDays, Status: "Enabled" }),
      ]);
      expect(JSON.stringify(policy?.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    },
  );

  it("lets the fan-out only write given-up batches under aws/lambda/ and list the on-failure bucket", () => {
    // Arrange
    const { fanOut } = dev.stack;
    const bucketArn = getAtt(dev, fanOut.onFailureBucket, "Arn");

    // Act
    const onBucket = statementsOf(dev, fanOut.fn.role).filter((st) =>
      JSON.stringify(st.Resource).includes(JSON.stringify(bucketArn)),
    );

    // Assert
    expect(onBucket).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: "s3:PutObject",
          Resource: { "Fn::Join": ["", [bucketArn, "/aws/lambda/*"]] },
        }),
        expect.objectContaining({ Action: "s3:ListBucket", Resource: bucketArn }),
      ]),
    );
    expect(onBucket.flatMap((st) => [st.Action].flat()).sort()).toEqual(["s3:ListBucket", "s3:PutObject"]);
  });

  it("synthesizes no mapping with an empty filter list", () => {
    // Arrange
    const mappings = dev.template.findResources("AWS::Lambda::EventSourceMapping");

    // Act
    const filters = Object.values(mappings).map((m) => m.Properties.FilterCriteria?.Filters);

    // Assert
    expect(Object.keys(mappings)).toHaveLength(pipeline.sources.length);
    expect(filters.filter((f) => f !== undefined && f.length === 0)).toEqual([]);
    expect(filters.filter((f) => f !== undefined)).toHaveLength(
      pipeline.sources.filter((s) => (s.filterPatterns ?? []).length > 0).length,
    );
  });

  it.each([
    { description: "no filter is declared", filterPatterns: undefined },
    { description: "the filter list is empty", filterPatterns: [] },
  ])("gives the mapping no filter criteria when $description", ({ filterPatterns }) => {
    // Arrange
    const [declared] = pipeline.sources;
    const source = { ...declared!, filterPatterns };
    const onFailure = new S3OnFailure(new Bucket(new Stack(), "OnFailure"));

    // Act
    const props = eventSourceProps(resolveMappingSettings(source), onFailure);

    // Assert
    expect(props).not.toHaveProperty("filters");
    expect(props.reportBatchItemFailures).toBe(true);
  });

  it.each([
    { description: "on by default", reportBatchItemFailures: undefined, expected: true },
    { description: "on when declared", reportBatchItemFailures: true, expected: true },
    { description: "off when declared off", reportBatchItemFailures: false, expected: false },
  ])("turns ReportBatchItemFailures $description", ({ reportBatchItemFailures, expected }) => {
    // Arrange
    const [declared] = pipeline.sources;
    const source = { ...declared!, reportBatchItemFailures };
    const onFailure = new S3OnFailure(new Bucket(new Stack(), "OnFailure"));

    // Act
    const props = eventSourceProps(resolveMappingSettings(source), onFailure);

    // Assert
    expect(props.reportBatchItemFailures).toBe(expected);
  });

  it("may read only the source streams, publish only to the bus and only add set-aside items", () => {
    // Arrange
    const { fanOut, bus, tables: t } = dev.stack;
    const role = fanOut.fn.role;

    // Act
    const writeActions = statementsOf(dev, role)
      .flatMap((st) => [st.Action].flat())
      .filter((a) => /^dynamodb:(Put|Update|Delete|BatchWrite)/.test(a));

    // Assert
    expect(actionsOn(dev, role, getAtt(dev, bus.bus, "Arn"))).toEqual(["events:PutEvents"]);
    expect(actionsOn(dev, role, getAtt(dev, t.table(pipeline.fanOut.setAsideTable), "Arn"))).toEqual([
      "dynamodb:PutItem",
    ]);
    expect(writeActions).toEqual(["dynamodb:PutItem"]);
    for (const source of pipeline.sources) {
      expect(actionsOn(dev, role, getAtt(dev, t.table(source.table), "StreamArn")).sort()).toEqual([
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
      ]);
    }
  });
});

describe("event bus", () => {
  it("creates the stage's bus with an archive keeping the declared retention", () => {
    // Arrange
    const bus = dev.stack.bus.bus;

    // Act
    const template = dev.template;

    // Assert
    template.hasResourceProperties("AWS::Events::EventBus", { Name: "dev-ripple" });
    template.hasResourceProperties("AWS::Events::Archive", {
      SourceArn: getAtt(dev, bus, "Arn"),
      RetentionDays: pipeline.bus.archiveRetentionDays,
    });
  });

  it.each(Object.values(DomainEvents).map((event) => ({ description: event.detailType, event })))(
    "publishes the $description detail schema to the registry as JSONSchemaDraft4",
    ({ event }) => {
      // Arrange
      const schemas = dev.template.findResources("AWS::EventSchemas::Schema", {
        Properties: { SchemaName: `${event.source}@${event.detailType}` },
      });

      // Act
      const [schema] = Object.values(schemas);
      const content = JSON.parse(schema?.Properties.Content) as Record<string, unknown>;

      // Assert
      expect(schema?.Properties.Type).toBe("JSONSchemaDraft4");
      expect(schema?.Properties.RegistryName).toEqual(getAtt(dev, dev.stack.bus.registry, "RegistryName"));
      expect(content.$schema).toBe("http://json-schema.org/draft-04/schema#");
      expect(content.required).toEqual(["metadata", "data"]);
    },
  );
});

describe.each(pipeline.consumers.map((consumer) => ({ description: consumer.name, consumer })))(
  "consumer $description",
  ({ consumer }) => {
    let built: BuiltConsumer;

    beforeAll(() => {
      // Arrange
      built = builtConsumer(dev, consumer.name);
    });

    it("subscribes it by a rule with the derived pattern, retry policy and dead-letter queue", () => {
      // Act
      const template = dev.template;

      // Assert
      template.hasResourceProperties("AWS::Events::Rule", {
        Name: ruleName(pipeline, consumer),
        EventBusName: ref(dev, dev.stack.bus.bus),
        EventPattern: Match.objectEquals(rulePattern(consumer)),
        Targets: [
          Match.objectLike({
            Arn: getAtt(dev, built.fn.function, "Arn"),
            RetryPolicy: {
              MaximumRetryAttempts: consumer.retry?.maximumRetryAttempts ?? 185,
              MaximumEventAgeInSeconds: consumer.retry?.maximumEventAgeInSeconds ?? 86_400,
            },
            DeadLetterConfig: { Arn: getAtt(dev, built.deadLetterQueue, "Arn") },
          }),
        ],
      });
      template.hasResourceProperties("AWS::SQS::QueuePolicy", {
        Queues: [ref(dev, built.deadLetterQueue)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: "sqs:SendMessage",
              Principal: { Service: "events.amazonaws.com" },
              Condition: { ArnEquals: { "aws:SourceArn": getAtt(dev, built.rule, "Arn") } },
            }),
          ]),
        },
      });
    });

    it("keeps the events it fails on every retry in its dead-letter queue", () => {
      // Act
      const template = dev.template;

      // Assert
      template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
        FunctionName: ref(dev, built.fn.function),
        Qualifier: "$LATEST",
        MaximumRetryAttempts: consumer.asyncInvoke?.maximumRetryAttempts ?? 2,
        MaximumEventAgeInSeconds: consumer.asyncInvoke?.maximumEventAgeInSeconds ?? 21_600,
      });
      template.hasResourceProperties("AWS::Lambda::Function", {
        FunctionName: Match.absent(),
        Description: consumer.description,
        DeadLetterConfig: { TargetArn: getAtt(dev, built.deadLetterQueue, "Arn") },
      });
      expect(actionsOn(dev, built.fn.role, getAtt(dev, built.deadLetterQueue, "Arn"))).toEqual([
        "sqs:SendMessage",
      ]);
    });

    it("lets it write only the tables it declares as writes", () => {
      // Arrange
      const t = dev.stack.tables;
      const setAside = pipeline.fanOut.setAsideTable;

      // Act
      const actions = (key: string) => actionsOn(dev, built.fn.role, getAtt(dev, t.table(key), "Arn"));

      // Assert
      for (const key of consumer.writes)
        expect(actions(key)).toEqual(expect.arrayContaining([...TABLE_ACCESS.write]));
      for (const key of consumer.reads.filter((k) => !consumer.writes.includes(k))) {
        expect(actions(key).sort()).toEqual([...TABLE_ACCESS.read].sort());
      }
      expect(actions(setAside)).toEqual(["dynamodb:PutItem"]);
      const untouched = Object.keys(pipeline.tables).filter(
        (k) => ![...consumer.reads, ...consumer.writes, setAside].includes(k),
      );
      for (const key of untouched) expect(actions(key)).toEqual([]);
    });
  },
);

describe("producer API", () => {
  it("signs every route with IAM except the routes the model names public: health and description", () => {
    // Arrange
    const template = dev.template;

    // Act
    const routes = Object.values(template.findResources("AWS::ApiGatewayV2::Route")).map(
      (r) => `${r.Properties.RouteKey} ${r.Properties.AuthorizationType}`,
    );

    // Assert
    expect(routes.sort()).toEqual(
      ["$default AWS_IAM", ...model.api.publicRoutes.map((r) => `${r.method} ${r.path} NONE`)].sort(),
    );
    expect(model.api.publicRoutes.map((r) => r.path)).toEqual(["/health", "/openapi.json"]);
  });

  it("throttles the default stage as declared and writes access logs", () => {
    // Arrange
    const api = dev.stack.api;

    // Act
    const template = dev.template;

    // Assert
    template.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      StageName: "$default",
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: pipeline.api.throttling.rateLimit,
        ThrottlingBurstLimit: pipeline.api.throttling.burstLimit,
      },
      AccessLogSettings: {
        DestinationArn: getAtt(dev, api.accessLogs, "Arn"),
        Format: Match.stringLikeRegexp("requestId"),
      },
    });
  });

  it("gives the API function the tables it declares, by their stage names", () => {
    // Arrange
    const api = dev.stack.api;

    // Act
    const variables = dev.template.findResources("AWS::Lambda::Function", {
      Properties: { Environment: { Variables: { POWERTOOLS_SERVICE_NAME: "api" } } },
    });

    // Assert
    const [fn] = Object.values(variables);
    const config = JSON.parse(fn?.Properties.Environment.Variables.RIPPLE_CONFIG_API);
    expect(Object.keys(config.tables).sort()).toEqual(Object.keys(pipeline.api.tables).sort());
    for (const key of Object.keys(pipeline.api.tables)) {
      expect(config.tables[key]).toBe(`dev-${tableOf(pipeline, key).tableName}`);
      const granted = pipeline.api.tables[key as keyof typeof pipeline.api.tables] ?? [];
      expect(actionsOn(dev, api.fn.role, getAtt(dev, dev.stack.tables.table(key), "Arn"))).toEqual(
        expect.arrayContaining([
          "dynamodb:GetItem",
          ...(granted.includes("write") ? ["dynamodb:PutItem"] : []),
        ]),
      );
    }
    expect(
      actionsOn(dev, api.fn.role, getAtt(dev, dev.stack.tables.table(pipeline.fanOut.setAsideTable), "Arn")),
    ).toEqual([]);
  });
});

describe("monitoring", () => {
  const { alarms } = pipeline;

  it.each(tables)("alarms on $description latency with seed 003's thresholds", ({ table }) => {
    // Arrange
    const name = `dev-${table.tableName}`;

    // Act
    const template = dev.template;

    // Assert
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AWS/DynamoDB",
      MetricName: "SuccessfulRequestLatency",
      Dimensions: [
        { Name: "Operation", Value: "PutItem" },
        { Name: "TableName", Value: name },
      ],
      ExtendedStatistic: "p99",
      Period: alarms.periodSeconds,
      Threshold: alarms.writeLatencyP99Ms,
      EvaluationPeriods: alarms.evaluationPeriods,
      DatapointsToAlarm: alarms.evaluationPeriods,
      ComparisonOperator: "GreaterThanThreshold",
    });
    const readAlarms = template.findResources("AWS::CloudWatch::Alarm", {
      Properties: { AlarmName: `dev-ripple-ReadLatency-${tables.find((t) => t.table === table)!.key}` },
    });
    const [read] = Object.values(readAlarms);
    expect(read?.Properties).toMatchObject({
      Threshold: alarms.readLatencyP95Ms,
      EvaluationPeriods: alarms.evaluationPeriods,
      DatapointsToAlarm: alarms.evaluationPeriods,
    });
    const stats = read?.Properties.Metrics.filter(
      (m: { MetricStat?: unknown }) => m.MetricStat !== undefined,
    );
    expect(
      stats.map((m: { MetricStat: { Stat: string; Period: number; Metric: { Dimensions: unknown[] } } }) => [
        m.MetricStat.Stat,
        m.MetricStat.Period,
        m.MetricStat.Metric.Dimensions,
      ]),
    ).toEqual(
      ["GetItem", "Query"].map((op) => [
        "p95",
        alarms.periodSeconds,
        expect.arrayContaining([
          { Name: "Operation", Value: op },
          { Name: "TableName", Value: name },
        ]),
      ]),
    );
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: `dev-ripple-Throttles-${tables.find((t) => t.table === table)!.key}`,
      Threshold: 0,
      EvaluationPeriods: 1,
      ComparisonOperator: "GreaterThanThreshold",
    });
  });

  it.each([
    {
      description: "iterator age",
      name: "IteratorAge-FanOut",
      metric: "IteratorAge",
      threshold: alarms.iteratorAgeMs,
    },
    { description: "fan-out errors", name: "Errors-FanOut", metric: "Errors", threshold: 0 },
    { description: "set-aside records", name: "SetAside-FanOut", metric: "SetAsideRecords", threshold: 0 },
    ...pipeline.consumers.map((c) => ({
      description: `failed invocations of ${ruleName(pipeline, c)}`,
      name: `FailedInvocations-${c.name}`,
      metric: "FailedInvocations",
      threshold: 0,
      dimensions: [
        { Name: "EventBusName", Value: "dev-ripple" },
        { Name: "RuleName", Value: ruleName(pipeline, c) },
      ],
    })),
    ...pipeline.sources.map((source) => ({
      description: `records the ${source.table} mapping gave up`,
      name: `GivenUp-${source.table}`,
      metric: "DroppedEventCount",
      threshold: 0,
    })),
    ...pipeline.consumers
      .map((c) => c.name)
      .map((name) => ({
        description: `dead letters of ${name}`,
        name: `DeadLetters-${name}`,
        metric: "ApproximateNumberOfMessagesVisible",
        threshold: 0,
      })),
  ] as { description: string; name: string; metric: string; threshold: number; dimensions?: object[] }[])(
    "alarms on $description to the alarm topic",
    ({ name, metric, threshold, dimensions }) => {
      // Arrange
      const topic = dev.stack.monitoring.topic;

      // Act
      const template = dev.template;

      // Assert
      template.hasResourceProperties("AWS::CloudWatch::Alarm", {
        AlarmName: `dev-ripple-${name}`,
        MetricName: metric,
        Threshold: threshold,
        ComparisonOperator: "GreaterThanThreshold",
        AlarmActions: [ref(dev, topic)],
        ...(dimensions === undefined ? {} : { Dimensions: dimensions }),
      });
    },
  );

  it("links every alarm to a section of the runbook", () => {
    // Arrange
    const runbook = readFileSync(join(PROJECT_ROOT, "docs/runbook.md"), "utf8");
    const sections = new Set(
      [...runbook.matchAll(/^#{2,4} (.+)$/gm)].map(([, title]) =>
        title!
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, "")
          .replace(/ /g, "-"),
      ),
    );

    // Act
    const links = Object.values(dev.template.findResources("AWS::CloudWatch::Alarm")).map(
      (a) => /docs\/runbook\.md#([a-z0-9-]+)/.exec(JSON.stringify(a.Properties.AlarmDescription))?.[1],
    );

    // Assert
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((link) => link === undefined || !sections.has(link))).toEqual([]);
  });

  it("sends every alarm to one encrypted topic that refuses plain HTTP", () => {
    // Arrange
    const { topic, topicKey } = dev.stack.monitoring;

    // Act
    const all = Object.values(dev.template.findResources("AWS::CloudWatch::Alarm"));

    // Assert
    expect(
      all.every((a) => JSON.stringify(a.Properties.AlarmActions) === JSON.stringify([ref(dev, topic)])),
    ).toBe(true);
    dev.template.resourceCountIs("AWS::SNS::Topic", 1);
    dev.template.hasResourceProperties("AWS::SNS::Topic", { KmsMasterKeyId: getAtt(dev, topicKey, "Arn") });
    dev.template.hasResourceProperties("AWS::SNS::TopicPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
        ]),
      },
    });
  });

  it("shows one dashboard with the storage, stream, bus, consumer, queue and API widgets", () => {
    // Arrange
    const dashboards = Object.values(dev.template.findResources("AWS::CloudWatch::Dashboard"));

    // Act
    const body = JSON.stringify(dashboards[0]?.Properties.DashboardBody);

    // Assert
    expect(dashboards).toHaveLength(1);
    for (const title of Object.values(WIDGETS)) expect(body).toContain(`\\"title\\":\\"${title}`);
    for (const metric of [
      ...Object.values(FanOutMetrics),
      "AccountMaxReads",
      "AccountMaxWrites",
      "UserErrors",
      "ConsumedWriteCapacityUnits",
      "IteratorAge",
      "PolledEventCount",
      "DroppedEventCount",
      "FailedInvocations",
      "ApproximateNumberOfMessagesVisible",
      "4xx",
      "5xx",
    ]) {
      expect(body).toContain(`\\"${metric}\\"`);
    }
  });
});

describe("least privilege from the model", () => {
  const roleOf = (service: string) => {
    const { fanOut, consumers, api } = dev.stack;
    return [fanOut.fn, ...consumers.map((c) => c.fn), api.fn].find((fn) => fn.serviceName === service)!.role;
  };

  it.each(functionsOf(model).map((fn) => ({ description: fn.service, fn })))(
    "grants $description exactly the tables and actions its slice names, and no other table",
    ({ fn }) => {
      // Arrange
      const role = roleOf(fn.service);

      // Act
      const granted = Object.keys(model.tables).map((key) => ({
        key,
        actions: [
          ...new Set(actionsOnExactly(dev, role, getAtt(dev, dev.stack.tables.table(key), "Arn"))),
        ].sort(),
      }));

      // Assert
      expect(granted).toEqual(
        Object.keys(model.tables).map((key) => ({
          key,
          actions: [...(fn.tables.find((g) => g.table === key)?.actions ?? [])].sort(),
        })),
      );
    },
  );

  it("gives the API only reads of the aggregates table (the store statistics) and Scan only on the tables it lists", () => {
    // Arrange
    const role = dev.stack.api.fn.role;
    const actions = (key: string) => actionsOn(dev, role, getAtt(dev, dev.stack.tables.table(key), "Arn"));

    // Act
    const scanned = Object.keys(model.tables).filter((key) => actions(key).includes("dynamodb:Scan"));

    // Assert
    expect(actions("aggregates")).toEqual([
      "dynamodb:BatchGetItem",
      "dynamodb:ConditionCheckItem",
      "dynamodb:GetItem",
      "dynamodb:Query",
    ]);
    expect(scanned.sort()).toEqual(["parkingData", "pets"]);
  });

  it.each(model.fanOut.sources.map((s) => ({ description: s.table, table: s.table })))(
    "lets the fan-out list the streams of $description only, by their table's stream ARNs",
    ({ table }) => {
      // Arrange
      const tableArn = getAtt(dev, dev.stack.tables.table(table), "Arn");

      // Act
      const template = dev.template;

      // Assert
      template.hasResourceProperties("AWS::IAM::Policy", {
        Roles: [ref(dev, dev.stack.fanOut.fn.role)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Action: "dynamodb:ListStreams",
              Effect: "Allow",
              Resource: { "Fn::Join": ["", [tableArn, "/stream/*"]] },
            },
          ]),
        },
      });
    },
  );
});

describe("stack outputs", () => {
  it("names the fan-out's function and on-failure bucket for the runbook's redrive", () => {
    // Arrange
    const { fanOut } = dev.stack;

    // Act
    const template = dev.template;

    // Assert
    template.hasOutput("FanOutFunctionName", { Value: ref(dev, fanOut.fn.function) });
    template.hasOutput("FanOutOnFailureBucketName", { Value: ref(dev, fanOut.onFailureBucket) });
  });

  it.each(
    pipeline.consumers.map((c) => ({
      description: c.name,
      id: c.name.replace(/(?:^|-)([a-z0-9])/g, (_, ch: string) => ch.toUpperCase()),
      name: c.name,
    })),
  )("name the function and dead-letter queue of $description for the runbook's redrive", ({ id, name }) => {
    // Arrange
    const c = builtConsumer(dev, name);

    // Act
    const template = dev.template;

    // Assert
    template.hasOutput(`${id}FunctionName`, { Value: ref(dev, c.fn.function) });
    template.hasOutput(`${id}DeadLetterQueueUrl`, { Value: ref(dev, c.deadLetterQueue) });
  });
});

describe("security", () => {
  it("encrypts every queue and refuses plain HTTP to it", () => {
    // Arrange
    const queues = dev.template.findResources("AWS::SQS::Queue");

    // Act
    const policies = Object.values(dev.template.findResources("AWS::SQS::QueuePolicy"));

    // Assert
    expect(Object.keys(queues)).toHaveLength(pipeline.consumers.length);
    for (const [id, queue] of Object.entries(queues)) {
      expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
      const policy = policies.find((p) => JSON.stringify(p.Properties.Queues).includes(`"${id}"`));
      expect(JSON.stringify(policy?.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it("grants a wildcard resource only to actions that support no other", () => {
    // Arrange
    const policies = Object.values(dev.template.findResources("AWS::IAM::Policy"));

    // Act
    const wildcardActions = new Set(
      policies
        .flatMap((p) => p.Properties.PolicyDocument.Statement)
        .filter((st: { Resource: unknown }) => [st.Resource].flat().includes("*"))
        .flatMap((st: { Action: string | string[] }) => [st.Action].flat()),
    );

    // Assert
    expect([...wildcardActions].sort()).toEqual(["xray:PutTelemetryRecords", "xray:PutTraceSegments"]);
  });

  it("attaches no managed policy to any function role", () => {
    // Arrange
    const roles = Object.values(dev.template.findResources("AWS::IAM::Role"));

    // Act
    const managed = roles.flatMap((r) => r.Properties.ManagedPolicyArns ?? []);

    // Assert
    expect(roles).toHaveLength(3 + pipeline.consumers.length); // fan-out, API, redrive, one per consumer
    expect(managed).toEqual([]);
  });
});

describe("construction", () => {
  it("refuses an unknown stage, naming the stages and how to pass one", () => {
    // Arrange
    const stage = "qa";

    // Act
    const act = () => stageSettings(stage);

    // Assert
    expect(act).toThrow(UnknownStageError);
    expect(act).toThrow(
      'stage must be one of dev, prod (given "qa"); pass it as -c stage=dev or -c stage=prod',
    );
  });

  it("refuses a declared handler that does not exist, naming the path", () => {
    // Arrange
    const broken = { ...pipeline, fanOut: { ...pipeline.fanOut, handler: "functions/missing/handler.ts" } };

    // Act
    const act = () => synthesize(["dev"], broken);

    // Assert
    expect(act).toThrow(MissingHandlerError);
    expect(act).toThrow(/handler "functions\/missing\/handler.ts" of fan-out does not exist/);
  });

  it("matches the stored snapshot of the whole template", () => {
    // Arrange
    const template = dev.json;

    // Act + Assert
    expectTemplateSnapshot(template);
  });
});
