import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalAlarm, MonitoringView, SetAsideView } from "#infra/local/metrics/monitor.ts";
import type { Runtime } from "#infra/local/runtime.ts";
import { requestApi, startTestRuntime } from "../../helpers/runtime.ts";
import { synthesize } from "../../infra/synth.ts";

/** A CloudFormation value: a string, or an intrinsic function of the template. */
type Cfn = string | Record<string, unknown>;

/** The template's value as text, each reference as REF (dashboard bodies are Fn::Join of strings and references). */
function flatten(value: unknown): string {
  if (typeof value === "string") return value;
  const join = (value as { "Fn::Join"?: [string, Cfn[]] })["Fn::Join"];
  if (join !== undefined) return join[1].map(flatten).join(join[0]);
  return "REF";
}

interface TemplateAlarm {
  AlarmName: string;
  Threshold: number;
  EvaluationPeriods: number;
  Namespace?: string;
  MetricName?: string;
  Statistic?: string;
  ExtendedStatistic?: string;
  Metrics?: {
    Expression?: string;
    MetricStat?: { Metric: { Namespace: string; MetricName: string }; Stat: string };
  }[];
}

/** An alarm as both sides can state it: name, threshold, periods and what it reads. */
function templateAlarm(a: TemplateAlarm) {
  const metrics =
    a.Metrics === undefined
      ? [`${a.Namespace} ${a.MetricName} ${a.Statistic ?? a.ExtendedStatistic}`]
      : a.Metrics.filter((m) => m.MetricStat !== undefined).map(
          (m) => `${m.MetricStat!.Metric.Namespace} ${m.MetricStat!.Metric.MetricName} ${m.MetricStat!.Stat}`,
        );
  return {
    name: a.AlarmName.replace(/^dev-/, "local-"),
    threshold: a.Threshold,
    evaluationPeriods: a.EvaluationPeriods,
    metrics: metrics.sort(),
  };
}

const localAlarm = (a: LocalAlarm) => ({
  name: a.name,
  threshold: a.threshold,
  evaluationPeriods: a.evaluationPeriods,
  metrics: [...a.metrics].sort(),
});

/** A widget as both sides can state it: kind, title, and each metric with its statistic. */
function templateWidget(w: { type: string; properties: Record<string, unknown> }) {
  if (w.type === "text") return { type: "text" };
  if (w.type === "alarm") return { type: "alarmStatus", title: w.properties.title };
  const metrics = (w.properties.metrics as unknown[][]).map((m) => {
    // CloudWatch's default statistic, Average, is left out of the body.
    const options = m.at(-1) as { stat?: string };
    return `${m[0]} ${m[1]} ${options.stat ?? "Average"}`;
  });
  return { type: "graph", title: w.properties.title, metrics };
}

function localWidget(w: MonitoringView["rows"][number][number]) {
  if (w.type === "text") return { type: "text" };
  if (w.type === "alarmStatus") return { type: "alarmStatus", title: w.title };
  return { type: "graph", title: w.title, metrics: w.series.map((s) => s.metric) };
}

describe("the local dashboard mirrors the CloudWatch dashboard and alarms", () => {
  let runtime: Runtime;
  let dev: ReturnType<typeof synthesize<"dev">>["dev"];
  const logged: string[] = [];
  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${runtime.endpoints.api}${path}`, {
      headers: { authorization: `Bearer ${runtime.apiToken}` },
    });
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as T;
  };
  const send = (method: string, path: string, body?: unknown) => requestApi(runtime, method, path, body);
  const alarm = async (name: string) =>
    (await get<MonitoringView>("/local/monitoring?minutes=1")).alarms.find((a) => a.name === name);

  beforeAll(async () => {
    ({ dev } = synthesize(["dev"]));
    runtime = await startTestRuntime({
      alarmPeriodSeconds: 2,
      logger: {
        info: (l: string) => logged.push(l),
        warn: (l: string) => logged.push(l),
        error: console.error,
      },
    });
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  it("evaluates every alarm of the synthesized template, by the same name with the stage local, with the same threshold, periods and metrics", () => {
    // Arrange
    const template = Object.values(dev.json.Resources)
      .filter((r) => r.Type === "AWS::CloudWatch::Alarm")
      .map((r) => templateAlarm(r.Properties as TemplateAlarm));

    // Act
    const local = runtime.monitoring.alarms().map(localAlarm);

    // Assert
    expect(template.length).toBeGreaterThan(40);
    expect(local.sort((a, b) => a.name.localeCompare(b.name))).toEqual(
      template.sort((a, b) => a.name.localeCompare(b.name)),
    );
  });

  it("shows the CloudWatch dashboard's widgets, in order, with the same titles, metrics and statistics", () => {
    // Arrange
    const dashboard = Object.values(dev.json.Resources).find((r) => r.Type === "AWS::CloudWatch::Dashboard")!;
    const body = JSON.parse(flatten(dashboard.Properties.DashboardBody)) as {
      widgets: { type: string; properties: Record<string, unknown> }[];
    };

    // Act
    const local = runtime.monitoring.view({ minutes: 1 }).rows.flat().map(localWidget);

    // Assert
    expect(local).toEqual(body.widgets.map(templateWidget));
  });

  it("answers alarms and widget series only to a caller with the token, and refuses a bad window with the fix", async () => {
    // Act
    const anonymous = await fetch(`${runtime.endpoints.api}/local/monitoring`);
    const badWindow = await send("GET", "/local/monitoring?minutes=ten");

    // Assert
    expect(anonymous.status).toBe(401);
    expect(badWindow.status).toBe(400);
    expect(((await badWindow.json()) as { error: { message: string } }).error.message).toBe(
      'minutes must be a whole number from 1 to 60, e.g. ?minutes=10 (given "ten")',
    );
  });

  it("charts what the handlers emit and what AWS would measure while a workload runs", async () => {
    // Act
    for (let i = 0; i < 3; i++) expect((await send("POST", "/car-parks/simulate", {})).status).toBe(200);
    await runtime.settled();
    const view = await get<MonitoringView>("/local/monitoring?minutes=1");
    const series = (title: string) =>
      view.rows
        .flat()
        .flatMap((w) => (w.type === "graph" && w.title === title ? w.series : []))
        .map((s) => ({ label: s.label, total: s.values.reduce<number>((a, b) => a + (b ?? 0), 0) }));

    // Assert
    expect(
      series("Fan-out records in / events out").find((s) => s.label === "RecordsIn Sum")?.total,
    ).toBeGreaterThan(0);
    expect(
      series("Rule invocations").find((s) => s.label === "ripple-parking-totals")?.total,
    ).toBeGreaterThan(0);
    expect(
      series("PutItem latency (avg, p95, p99)").find((s) => s.label === "parking-data PutItem p99")?.total,
    ).toBeGreaterThan(0);
    expect(series("API 4xx / 5xx").find((s) => s.label === "Count SampleCount")?.total).toBeGreaterThan(0);
    expect(
      view.consumers.find((c) => c.name === "parking-totals")?.invocations.some((n) => (n ?? 0) > 0),
    ).toBe(true);
    const parking = view.tables.find((t) => t.table === "parking-data");
    expect(parking?.writes.reduce<number>((sum, n) => sum + (n ?? 0), 0)).toBeGreaterThanOrEqual(3);
    const source = view.sources.find((s) => s.table === "parking-data");
    expect(source?.polled.reduce<number>((sum, n) => sum + (n ?? 0), 0)).toBeGreaterThanOrEqual(3);
    expect(source?.iteratorAgeMs.some((age) => age !== null && age >= 0)).toBe(true);
  });

  it("answers the store statistics through the API, described in its OpenAPI document", async () => {
    // Arrange
    const pet = { name: "Sweety", type: "frog", price: 20 };
    expect((await send("POST", "/pets", pet)).status).toBe(201);
    await runtime.settled();

    // Act
    const stats = await get<{ pets: { petCount: number; byType: Record<string, number> } }>("/store/stats");
    const openApi = await get<{ paths: Record<string, { get?: { operationId: string } }> }>("/openapi.json");

    // Assert
    expect(stats.pets.petCount).toBe(16);
    expect(stats.pets.byType.frog).toBe(1);
    expect(openApi.paths["/store/stats"]?.get?.operationId).toBe("getStoreStats");
  });

  it("turns a consumer's dead-letter alarm to ALARM when it fails, logs it, and back to OK once its dead letters are redriven", async () => {
    // Arrange
    const name = "local-ripple-DeadLetters-parking-totals";
    expect((await send("PUT", "/local/faults", { consumerError: { "parking-totals": 1 } })).status).toBe(200);

    // Act
    expect((await send("POST", "/car-parks/simulate", {})).status).toBe(200);
    await runtime.settled();
    await expect
      .poll(async () => (await alarm(name))?.state, { timeout: 30_000, interval: 500 })
      .toBe("ALARM");
    expect((await send("DELETE", "/local/faults")).status).toBe(200);
    const { items } = await get<{ items: SetAsideView[] }>("/local/set-aside");
    const letters = items.filter((i) => i.kind === "dead-letter" && i.owner === "parking-totals");
    const redrive = await send("POST", "/local/redrive");
    const redriven = (await redrive.json()) as { code: number; out: string[]; setAside: SetAsideView[] };
    await runtime.settled();

    // Assert
    expect(letters.length).toBeGreaterThan(0);
    for (const letter of letters) expect(redriven.out).toContain(`redriven dead-letters: ${letter.id}`);
    expect(redriven.setAside.filter((i) => i.kind === "dead-letter")).toEqual([]);
    await expect.poll(async () => (await alarm(name))?.state, { timeout: 30_000, interval: 500 }).toBe("OK");
    expect(logged.some((l) => l.startsWith(`alarm ${name}: OK -> ALARM`))).toBe(true);
    expect(logged.some((l) => l.startsWith(`alarm ${name}: ALARM -> OK`))).toBe(true);
  });
});
