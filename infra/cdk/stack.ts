import { CfnOutput, Stack, type StackProps, Tags } from "aws-cdk-lib";
import { Construct } from "constructs";
import type { PipelineDeclaration } from "#infra/declaration.ts";
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
  /** The pipeline declaration the whole stack is built from. */
  readonly pipeline: PipelineDeclaration;
  readonly stage: StageSettings;
  /** Absolute path of the project root: handler paths in the declaration are relative to it. */
  readonly projectRoot: string;
}

/**
 * ripple in one stack, built from the declaration alone: tables, the fan-out and its mappings, the
 * bus with archive and schema registry, one rule and function per consumer, the producers' API,
 * and the dashboard and alarms.
 *
 * Construct ids are a public contract: `Tables/<tableKey>`, `FanOut`, `Bus`, `Consumers/<name>`,
 * `Api`, `Monitoring`. Renaming one replaces the resources under it.
 */
export class RippleStack extends Stack {
  readonly tables: PipelineTables;
  readonly bus: DomainEventBus;
  readonly fanOut: FanOut;
  readonly consumers: readonly Consumer[];
  readonly api: ProducerApi;
  readonly monitoring: PipelineMonitoring;

  constructor(scope: Construct, id: string, props: RippleStackProps) {
    super(scope, id, props);
    const { pipeline, stage, projectRoot } = props;
    Tags.of(this).add("project", pipeline.name);
    Tags.of(this).add("stage", stage.stage);

    this.tables = new PipelineTables(this, "Tables", { pipeline, stage });
    this.bus = new DomainEventBus(this, "Bus", { pipeline, stage });
    this.fanOut = new FanOut(this, "FanOut", {
      pipeline,
      stage,
      tables: this.tables,
      bus: this.bus,
      projectRoot,
    });
    this.bus.admitRippleSourcesOnlyFrom(this.fanOut.fn.role);
    const consumersScope = new Construct(this, "Consumers");
    this.consumers = pipeline.consumers.map(
      (consumer) =>
        new Consumer(consumersScope, consumer.name, {
          pipeline,
          consumer,
          stage,
          tables: this.tables,
          bus: this.bus,
          projectRoot,
        }),
    );
    this.api = new ProducerApi(this, "Api", { pipeline, stage, tables: this.tables, projectRoot });
    this.monitoring = new PipelineMonitoring(this, "Monitoring", {
      pipeline,
      stage,
      tables: this.tables,
      bus: this.bus,
      fanOut: this.fanOut,
      consumers: this.consumers,
      api: this.api,
    });
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
    new CfnOutput(this, "FanOutOnFailureQueueUrl", {
      value: this.fanOut.onFailureQueue.queueUrl,
      description: "Descriptions of stream batches the fan-out gave up on",
    });
    for (const consumer of this.consumers) {
      const id = pascalCase(consumer.node.id);
      new CfnOutput(this, `${id}FunctionName`, { value: consumer.fn.function.functionName });
      new CfnOutput(this, `${id}DeadLetterQueueUrl`, {
        value: consumer.deadLetterQueue.queueUrl,
        description: `Events EventBridge gave up delivering to ${consumer.node.id}`,
      });
    }
    suppressAcceptedFindings(this);
  }
}
