import { describe, expect, it } from "vitest";
import { recordEmf } from "#infra/local/metrics/emf.ts";
import { LocalMonitoring } from "#infra/local/metrics/monitor.ts";
import { MetricsStore, RETENTION_SECONDS } from "#infra/local/metrics/store.ts";
import { model } from "#infra/pipeline.ts";

const LATENCY = {
  namespace: "AWS/DynamoDB",
  metricName: "SuccessfulRequestLatency",
  dimensions: { TableName: "parking-data", Operation: "PutItem" },
};

describe("the local metrics store", () => {
  it("computes CloudWatch's statistics per period, nearest-rank percentiles included, and null where nothing was measured", () => {
    // Arrange
    let now = 1_000_000_000;
    const store = new MetricsStore(() => now);
    for (let i = 1; i <= 100; i++) store.put(LATENCY, i, now);
    now += 20_000;
    const end = Math.floor(now / 1000);

    // Act
    const periods = ["p99", "Average", "Sum", "Maximum", "SampleCount"].map((statistic) =>
      store.query(LATENCY, statistic, 10, 2, end),
    );

    // Assert
    expect(periods).toEqual([
      [99, null],
      [50.5, null],
      [5050, null],
      [100, null],
      [100, null],
    ]);
  });

  it("forgets what is older than an hour", () => {
    // Arrange
    let now = 2_000_000_000;
    const store = new MetricsStore(() => now);
    store.put(LATENCY, 7, now);

    // Act
    now += (RETENTION_SECONDS + 5) * 1000;
    store.put(LATENCY, 3, now);

    // Assert
    expect(store.query(LATENCY, "Sum", RETENTION_SECONDS, 1, Math.floor(now / 1000) + 1)).toEqual([3]);
  });

  it("reads a Powertools EMF line under its namespace and dimensions, and leaves other text alone", () => {
    // Arrange
    const store = new MetricsStore(() => 1_000);
    const line = JSON.stringify({
      _aws: {
        Timestamp: 1_000,
        CloudWatchMetrics: [
          { Namespace: "ripple", Dimensions: [["service"]], Metrics: [{ Name: "RecordsIn", Unit: "Count" }] },
        ],
      },
      service: "fan-out",
      RecordsIn: 4,
    });

    // Act
    const read = recordEmf(store, line);
    const other = recordEmf(store, '{"level":"WARN","message":"set aside"}');

    // Assert
    expect(read).toBe(true);
    expect(other).toBe(false);
    expect(
      store.query(
        { namespace: "ripple", metricName: "RecordsIn", dimensions: { service: "fan-out" } },
        "Sum",
        1,
        1,
        2,
      ),
    ).toEqual([4]);
  });

  it("refuses a local alarm period CloudWatch could not mean, naming the value and the range", () => {
    // Act
    const make = () => new LocalMonitoring(model, { logger: console, localPeriodSeconds: 0.5 });

    // Assert
    expect(make).toThrow(
      "the local alarm period must be whole seconds from 1 to 300, e.g. 10 (given 0.5); CloudWatch's own is the model's 300 s",
    );
  });

  it("puts an alarm in ALARM only when all its evaluation periods breach, and logs both changes", () => {
    // Arrange
    let now = 3_000_000_000;
    const lines: string[] = [];
    const monitoring = new LocalMonitoring(model, {
      logger: { info: (l: string) => lines.push(l), warn: (l: string) => lines.push(l) },
      localPeriodSeconds: 10,
      now: () => now,
    });
    const name = "local-ripple-WriteLatency-parkingData";
    const state = () => monitoring.alarms().find((a) => a.name === name)?.state;
    const slowPut = () =>
      monitoring.dynamodb({ tables: ["parking-data"], operation: "PutItem", latencyMs: 80, status: 200 });

    // Act
    const states: (string | undefined)[] = [];
    for (let period = 0; period < 4; period++) {
      slowPut();
      now += 10_000;
      monitoring.evaluate();
      states.push(state());
    }
    now += 10_000;
    monitoring.evaluate();
    states.push(state());

    // Assert
    expect(states).toEqual(["OK", "OK", "ALARM", "ALARM", "OK"]);
    expect(lines.map((l) => l.split(":").slice(0, 2).join(":"))).toEqual([
      `alarm ${name}: OK -> ALARM`,
      `alarm ${name}: ALARM -> OK`,
    ]);
  });
});
