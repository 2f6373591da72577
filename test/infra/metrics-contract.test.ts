import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, type PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createLambdaContext } from "#infra/local/lambda-context.ts";
import type { MetricModel, WidgetModel } from "#infra/monitoring-model.ts";
import { model } from "#infra/pipeline.ts";
import { loadStreamEvent } from "../helpers/events.ts";
import { functionEnvironments } from "../helpers/function-config.ts";

/**
 * Every metric in ripple's own namespace that an alarm or a dashboard widget reads is emitted, under
 * that exact name, namespace and dimensions, by the handler the model names as its emitter. The
 * handler is driven for real and its EMF output read back: rename a metric in the handler and its
 * alarm would otherwise stay green for ever (missing data does not breach).
 */

/** An EMF record as Powertools writes it to stdout. */
interface EmfRecord {
  readonly _aws: {
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string }[];
    }[];
  };
  readonly [key: string]: unknown;
}

const widgetMetrics = (w: WidgetModel): MetricModel[] => (w.type === "graph" ? [...w.left, ...w.right] : []);
const readByMonitoring: MetricModel[] = [
  ...model.monitoring.alarms.flatMap((a) =>
    "expression" in a.metric ? Object.values(a.metric.usingMetrics) : [a.metric],
  ),
  ...model.monitoring.dashboard.rows.flat().flatMap(widgetMetrics),
].filter((m) => m.namespace === model.metricsNamespace);

/** Runs an emitter's real handler once and returns the EMF records it wrote. */
const drivers: Record<string, () => Promise<EmfRecord[]>> = {
  "fan-out": async () => {
    const { handler } = await import("../../functions/fan-out/handler.ts");
    const context = createLambdaContext({ functionName: model.fanOut.functionName, timeoutSeconds: 60 });
    return captureEmf(() => handler(loadStreamEvent("PetStore/insert.json"), context));
  },
};

async function captureEmf(run: () => Promise<unknown>): Promise<EmfRecord[]> {
  const output: string[] = [];
  const write = vi.spyOn(process.stdout, "write").mockImplementation(((chunk: string) => {
    output.push(String(chunk));
    return true;
  }) as never);
  try {
    await run();
  } finally {
    write.mockRestore();
  }
  return output
    .flatMap((chunk) => chunk.split("\n"))
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((o): o is EmfRecord => o._aws !== undefined);
}

/** Whether an EMF record carries the metric under its namespace and every one of its dimensions. */
function emits(record: EmfRecord, metric: MetricModel): boolean {
  return record._aws.CloudWatchMetrics.some(
    (d) =>
      d.Namespace === metric.namespace &&
      d.Metrics.some((m) => m.Name === metric.metricName) &&
      Object.entries(metric.dimensions).every(
        ([name, value]) => d.Dimensions.some((set) => set.includes(name)) && record[name] === value,
      ),
  );
}

describe("metrics the alarms and dashboard read", () => {
  beforeAll(() => {
    for (const [name, value] of Object.entries({
      ...functionEnvironments(),
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      POWERTOOLS_METRICS_DISABLED: "false",
      POWERTOOLS_LOG_LEVEL: "SILENT",
    }))
      vi.stubEnv(name, value);
    vi.spyOn(EventBridgeClient.prototype, "send").mockImplementation((async (command: PutEventsCommand) => ({
      FailedEntryCount: 0,
      Entries: (command.input.Entries ?? []).map(() => ({ EventId: "ok" })),
    })) as never);
    vi.spyOn(DynamoDBClient.prototype, "send").mockImplementation((async () => ({})) as never);
  });

  afterAll(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it("each name an emitter that declares them among the metrics it emits", () => {
    // Arrange
    const functions = [model.fanOut, ...model.consumers, model.api];

    // Act
    const undeclared = readByMonitoring.filter((m) => {
      const emitter = functions.find((fn) => fn.service === m.emitter);
      return emitter === undefined || !emitter.metrics.names.includes(m.metricName);
    });

    // Assert
    expect(readByMonitoring.length).toBeGreaterThan(0);
    expect(undeclared.map((m) => `${m.emitter}/${m.metricName}`)).toEqual([]);
  });

  it.each(
    [...new Set(readByMonitoring.map((m) => m.emitter!))].map((emitter) => ({
      description: emitter,
      emitter,
      metrics: readByMonitoring.filter((m) => m.emitter === emitter),
    })),
  )(
    "are all emitted by the $description handler under their namespace and dimensions",
    async ({ emitter, metrics }) => {
      // Arrange
      const drive = drivers[emitter];
      if (drive === undefined) throw new Error(`no driver runs the ${emitter} handler; add one to this test`);

      // Act
      const records = await drive();

      // Assert
      const missing = metrics.filter((m) => !records.some((r) => emits(r, m)));
      expect(records.length).toBeGreaterThan(0);
      expect(missing.map((m) => `${m.namespace}/${m.metricName} ${JSON.stringify(m.dimensions)}`)).toEqual(
        [],
      );
    },
  );
});
