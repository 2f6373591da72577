import { CfnOutput, Stack, type StackProps, Tags } from "aws-cdk-lib";
import { Construct } from "constructs";
import { functionEnvironment, type PhysicalNames } from "#infra/function-config.ts";
import type { FunctionModel, PipelineModel } from "#infra/model.ts";
import { ProducerApi } from "./api.ts";
import { DomainEventBus } from "./bus.ts";
import { Consumer } from "./consumer.ts";
import { FanOut } from "./fan-out.ts";
import { PipelineMonitoring } from "./monitoring.ts";
import { suppressAcceptedFindings } from "./nag.ts";
import type { StageSettings } from "./stage.ts";
import { PipelineTables } from "./tables.ts";

/** `parking-totals` → `ParkingTotals` (output ids allow letters and digits only). */
const pascalCase = (name: string): string =>
  name.replace(/(?:^|[^a-zA-Z0-9]+)([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());

export interface RippleStackProps extends StackProps {
  /** The resolved pipeline model the whole stack is built from (`resolvePipeline`). */
  readonly model: PipelineModel;
  readonly stage: StageSettings;
  /** Absolute path of the project root: handler paths in the model are relative to it. */
  readonly projectRoot: string;
}

/**
 * ripple in one stack, built from the resolved model alone: tables, the fan-out and its mappings,
 * the bus with archive and schema registry, one rule and function per consumer, the producers'
 * API, and the dashboard and alarms. Each construct takes its slice of the model as flat props.
 *
 * Construct ids are a public contract: `Tables/<tableKey>`, `FanOut`, `Bus`, `Consumers/<name>`,
 * `Api`, `Monitoring`. Renaming one replaces the resources under it.
 */
export class RippleStack extends Stack {
  readonly model: PipelineModel;
  readonly tables: PipelineTables;
  readonly bus: DomainEventBus;
  readonly fanOut: FanOut;
  readonly consumers: readonly Consumer[];
  readonly api: ProducerApi;
  readonly monitoring: PipelineMonitoring;

  constructor(scope: Construct, id: string, props: RippleStackProps) {
    super(scope, id, props);
    const { model, stage, projectRoot } = props;
    this.model = model;
    Tags.of(this).add("project", model.name);
    Tags.of(this).add("stage", stage.stage);

    this.tables = new PipelineTables(this, "Tables", { project: model.name, tables: model.tables, stage });
    this.bus = new DomainEventBus(this, "Bus", {
      project: model.name,
      busName: model.bus.name,
      archiveRetentionDays: model.bus.archiveRetentionDays,
      stage,
    });
    const names: PhysicalNames = { table: (key) => this.tables.physicalName(key), busName: this.bus.busName };
    const environment = (fn: FunctionModel) => functionEnvironment(model, fn, names);
    const common = { stage, tables: this.tables, projectRoot };
    this.fanOut = new FanOut(this, "FanOut", {
      ...common,
      fanOut: model.fanOut,
      environment: environment(model.fanOut),
      bus: this.bus,
    });
    this.bus.admitRippleSourcesOnlyFrom(this.fanOut.fn.role);
    const consumersScope = new Construct(this, "Consumers");
    this.consumers = model.consumers.map(
      (consumer) =>
        new Consumer(consumersScope, consumer.name, {
          ...common,
          consumer,
          environment: environment(consumer),
          bus: this.bus,
        }),
    );
    this.api = new ProducerApi(this, "Api", {
      ...common,
      project: model.name,
      api: model.api,
      environment: environment(model.api),
    });
    this.monitoring = new PipelineMonitoring(this, "Monitoring", {
      project: model.name,
      monitoring: model.monitoring,
      stage,
      tables: this.tables,
      bus: this.bus,
      fanOut: this.fanOut,
      consumers: this.consumers,
      api: this.api,
    });
    this.addOutputs();
    suppressAcceptedFindings({
      functions: [this.fanOut.fn, ...this.consumers.map((c) => c.fn), this.api.fn],
      deadLetterQueues: this.consumers.map((c) => c.deadLetterQueue),
      onFailureBucket: this.fanOut.onFailureBucket,
      httpApi: this.api.httpApi,
      publicRoutes: model.api.publicRoutes,
      streamReader: {
        fn: this.fanOut.fn,
        tables: model.fanOut.sources.map((s) => this.tables.table(s.table)),
      },
    });
  }

  private addOutputs(): void {
    new CfnOutput(this, "ApiUrl", {
      value: this.api.httpApi.apiEndpoint,
      description: "Producers' API (SigV4)",
    });
    new CfnOutput(this, "EventBusName", { value: this.bus.busName });
    new CfnOutput(this, "ArchiveArn", { value: this.bus.archive.archiveArn, description: "Replay source" });
    new CfnOutput(this, "AlarmTopicArn", {
      value: this.monitoring.topic.topicArn,
      description: "Subscribe to it",
    });
    new CfnOutput(this, "DashboardName", { value: this.monitoring.dashboard.dashboardName });
    // What the runbook's redrive commands need (docs/runbook.md).
    new CfnOutput(this, "FanOutFunctionName", { value: this.fanOut.fn.function.functionName });
    new CfnOutput(this, "FanOutOnFailureBucketName", {
      value: this.fanOut.onFailureBucket.bucketName,
      description: "Stream batches the fan-out gave up on, records included (npm run redrive -- --bucket)",
    });
    for (const consumer of this.consumers) {
      const id = pascalCase(consumer.node.id);
      new CfnOutput(this, `${id}FunctionName`, { value: consumer.fn.function.functionName });
      new CfnOutput(this, `${id}DeadLetterQueueUrl`, {
        value: consumer.deadLetterQueue.queueUrl,
        description: `Events EventBridge gave up delivering to ${consumer.node.id}`,
      });
    }
  }
}
