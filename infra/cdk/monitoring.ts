import { Duration } from "aws-cdk-lib";
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IWidget,
  TextWidget,
  TreatMissingData,
} from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import { Topic } from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import type { AlarmModel, MonitoringModel, WidgetModel } from "#infra/monitoring-model.ts";
import type { ProducerApi } from "./api.ts";
import type { DomainEventBus } from "./bus.ts";
import type { Consumer } from "./consumer.ts";
import type { FanOut } from "./fan-out.ts";
import { type RefResolver, renderAlarmMetric, renderMetric, renderText } from "./metrics.ts";
import { type StageSettings, stageName } from "./stage.ts";
import type { PipelineTables } from "./tables.ts";

export { WIDGETS } from "#infra/monitoring-model.ts";

export interface PipelineMonitoringProps {
  /** Name of the pipeline: alarm, topic and dashboard names start with it. */
  readonly project: string;
  /** The model's alarms and dashboard. */
  readonly monitoring: MonitoringModel;
  readonly stage: StageSettings;
  readonly tables: PipelineTables;
  readonly bus: DomainEventBus;
  readonly fanOut: FanOut;
  readonly consumers: readonly Consumer[];
  readonly api: ProducerApi;
}

/** How this stack resolves the model's references. */
function refResolver(props: PipelineMonitoringProps): RefResolver {
  const { fanOut, consumers } = props;
  const consumer = (name: string) => {
    const found = consumers.find((c) => c.node.id === name);
    if (found === undefined)
      throw new Error(`the monitoring model names consumer "${name}", which the stack lacks`);
    return found;
  };
  const fanOutService = props.fanOut.fn.serviceName;
  return {
    table: (key) => props.tables.physicalName(key),
    functionName: (service) =>
      (service === fanOutService
        ? fanOut.fn
        : service === props.api.fn.serviceName
          ? props.api.fn
          : consumer(service).fn
      ).function.functionName,
    queueName: (owner) => consumer(owner).deadLetterQueue.queueName,
    mappingId: (table) => {
      const mapping = fanOut.mappings.find((m) => m.table === table);
      if (mapping === undefined) throw new Error(`no event source mapping reads table "${table}"`);
      return mapping.eventSource.eventSourceMappingId;
    },
    busName: props.bus.busName,
    apiId: props.api.httpApi.apiId,
    stage: props.stage.stage,
  };
}

/**
 * The model's alarms and dashboard as CloudWatch resources, every alarm notifying one encrypted
 * SNS topic. What each alarm and widget reads is plain data in the model (`monitoring-model.ts`,
 * with one metric factory per service); this construct only renders it for the stage.
 */
export class PipelineMonitoring extends Construct {
  readonly topic: Topic;
  readonly topicKey: Key;
  readonly dashboard: Dashboard;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    const { project, stage, monitoring } = props;
    this.topicKey = new Key(this, "TopicKey", {
      description: `${project} ${stage.stage}: encryption of the alarm topic`,
      enableKeyRotation: true,
      removalPolicy: stage.removalPolicy,
    });
    // CloudWatch publishes to an encrypted topic only when the key lets it.
    this.topicKey.grant(
      new ServicePrincipal("cloudwatch.amazonaws.com"),
      "kms:Decrypt",
      "kms:GenerateDataKey",
    );
    this.topic = new Topic(this, "AlarmTopic", {
      topicName: stageName(stage.stage, `${project}-alarms`),
      displayName: `${project} ${stage.stage} alarms`,
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    const refs = refResolver(props);
    for (const alarm of monitoring.alarms) this.alarms.push(this.addAlarm(alarm, refs, props));
    this.dashboard = new Dashboard(this, "Dashboard", {
      dashboardName: stageName(stage.stage, project),
      defaultInterval: Duration.hours(monitoring.dashboard.defaultIntervalHours),
    });
    for (const row of monitoring.dashboard.rows) {
      this.dashboard.addWidgets(...row.map((w) => this.widget(w, refs, monitoring.periodSeconds)));
    }
  }

  private addAlarm(alarm: AlarmModel, refs: RefResolver, props: PipelineMonitoringProps): Alarm {
    const a = new Alarm(this, alarm.id, {
      alarmName: stageName(props.stage.stage, `${props.project}-${alarm.id}`),
      alarmDescription: `${renderText(alarm.description, refs)} See docs/runbook.md#${alarm.id.split("-")[0]!.toLowerCase()}.`,
      metric: renderAlarmMetric(alarm.metric, refs, alarm.periodSeconds),
      threshold: alarm.threshold,
      evaluationPeriods: alarm.evaluationPeriods,
      datapointsToAlarm: alarm.evaluationPeriods,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    a.addAlarmAction(new SnsAction(this.topic));
    a.addOkAction(new SnsAction(this.topic));
    return a;
  }

  private widget(w: WidgetModel, refs: RefResolver, periodSeconds: number): IWidget {
    switch (w.type) {
      case "text":
        return new TextWidget({ markdown: renderText(w.markdown, refs), width: w.width, height: w.height });
      case "graph":
        return new GraphWidget({
          title: w.title,
          left: w.left.map((m) => renderMetric(m, refs, periodSeconds)),
          right: w.right.map((m) => renderMetric(m, refs, periodSeconds)),
          width: w.width,
          height: w.height,
        });
      case "alarmStatus":
        return new AlarmStatusWidget({
          title: w.title,
          alarms: this.alarms,
          width: w.width,
          height: w.height,
        });
    }
  }
}
