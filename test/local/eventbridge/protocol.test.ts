import {
  DeleteRuleCommand,
  DescribeEventBusCommand,
  DescribeRuleCommand,
  EventBridgeClient,
  InvalidEventPatternException,
  ListEventBusesCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  type PutEventsRequestEntry,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  TestEventPatternCommand,
} from "@aws-sdk/client-eventbridge";
import { describe, expect, it } from "vitest";
import { pipeline } from "#infra/pipeline.ts";
import { ruleName, rulePattern } from "#infra/topology.ts";
import { LOCAL_CLIENT_CONFIG } from "../../helpers/dynamodb.ts";
import { startTestEventBridge } from "../../helpers/event-bridge.ts";
import { startedForSuite } from "../../helpers/suite.ts";

const eventBridge = startedForSuite(startTestEventBridge);

const entry = (overrides: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
  EventBusName: pipeline.bus.name,
  Source: "ripple.test",
  DetailType: "Probe",
  Detail: JSON.stringify({ n: 1 }),
  ...overrides,
});

/** Sends a command and returns the error it fails with. */
async function failure(send: () => Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await send();
  } catch (error) {
    return error as { name: string; message: string };
  }
  throw new Error("expected the request to fail");
}

describe("PutEvents", () => {
  it("accepts up to 10 entries and returns one EventId per entry", async () => {
    // Arrange
    const entries = Array.from({ length: 10 }, () => entry());

    // Act
    const result = await eventBridge.client.send(new PutEventsCommand({ Entries: entries }));

    // Assert
    expect(result.FailedEntryCount).toBe(0);
    expect(result.Entries).toHaveLength(10);
    expect(new Set(result.Entries?.map((e) => e.EventId)).size).toBe(10);
  });

  it("refuses 11 entries with a ValidationException", async () => {
    // Arrange
    const entries = Array.from({ length: 11 }, () => entry());

    // Act
    const error = await failure(() => eventBridge.client.send(new PutEventsCommand({ Entries: entries })));

    // Assert
    expect(error.name).toBe("ValidationException");
    expect(error.message).toContain("less than or equal to 10");
  });

  it("refuses a request without entries", async () => {
    // Arrange + Act
    const error = await failure(() => eventBridge.client.send(new PutEventsCommand({ Entries: [] })));

    // Assert
    expect(error.name).toBe("ValidationException");
  });

  /** An entry whose size, counted as EventBridge counts it (Time = 14 bytes), is exactly `bytes`. */
  const sized = (bytes: number): PutEventsRequestEntry => {
    const fixed = "s".length + "t".length + 14 + '{"a":""}'.length + "r".length;
    return {
      EventBusName: pipeline.bus.name,
      Source: "s",
      DetailType: "t",
      Time: new Date(),
      Resources: ["r"],
      Detail: JSON.stringify({ a: "x".repeat(bytes - fixed) }),
    };
  };

  it.each([
    { description: "exactly 1 MB in one entry", entries: [sized(1024 * 1024)], accepted: true },
    {
      description: "exactly 1 MB spread over two entries",
      entries: [sized(512 * 1024), sized(512 * 1024)],
      accepted: true,
    },
    { description: "one byte over 1 MB in one entry", entries: [sized(1024 * 1024 + 1)], accepted: false },
    {
      description: "one byte over 1 MB spread over two entries",
      entries: [sized(512 * 1024), sized(512 * 1024 + 1)],
      accepted: false,
    },
  ])("counts request size as EventBridge does: $description", async ({ entries, accepted }) => {
    // Arrange
    const send = () => eventBridge.client.send(new PutEventsCommand({ Entries: entries }));

    // Act + Assert
    if (accepted) {
      expect((await send()).FailedEntryCount).toBe(0);
    } else {
      const error = await failure(send);
      expect(error.name).toBe("ValidationException");
      expect(error.message).toMatch(/^Total size of the entries in the request is over the limit\./);
    }
  });

  /** A row whose entry has `parameter` missing or empty: PutEvents fails it as an InvalidArgument naming it. */
  const invalidArgument = (
    description: string,
    parameter: "Source" | "DetailType" | "Detail",
    value?: string,
  ) => ({
    description,
    bad: entry({ [parameter]: value }),
    code: "InvalidArgument",
    message: `Parameter ${parameter} is not valid`,
  });
  /** A row whose Detail is no JSON object: PutEvents fails it as MalformedDetail. */
  const malformedDetail = (description: string, Detail: string) => ({
    description,
    bad: entry({ Detail }),
    code: "MalformedDetail",
    message: "Detail is malformed.",
  });

  it.each([
    invalidArgument("a missing Source", "Source"),
    invalidArgument("an empty DetailType", "DetailType", ""),
    invalidArgument("a missing Detail", "Detail"),
    malformedDetail("a Detail that is no JSON", "{oops"),
    malformedDetail("a Detail that is a JSON array", "[1,2]"),
    malformedDetail("a Detail that is a JSON string", '"text"'),
    {
      description: "a Source reserved for AWS",
      bad: entry({ Source: "aws.ec2" }),
      code: "NotAuthorizedForSourceException",
      message: "Not authorized",
    },
  ])("fails only the entry with $description", async ({ bad, code, message }) => {
    // Arrange
    const entries = [entry(), bad, entry()];

    // Act
    const result = await eventBridge.client.send(new PutEventsCommand({ Entries: entries }));

    // Assert
    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries?.[0]?.EventId).toBeDefined();
    expect(result.Entries?.[1]).toMatchObject({ ErrorCode: code });
    expect(result.Entries?.[1]?.ErrorMessage).toContain(message);
    expect(result.Entries?.[1]?.EventId).toBeUndefined();
    expect(result.Entries?.[2]?.EventId).toBeDefined();
  });

  it("accepts an event for a bus that does not exist and drops it, as EventBridge does", async () => {
    // Arrange
    const before = eventBridge.bus.stats().unknownBus;

    // Act
    const result = await eventBridge.client.send(
      new PutEventsCommand({ Entries: [entry({ EventBusName: "no-such-bus" })] }),
    );

    // Assert
    expect(result.FailedEntryCount).toBe(0);
    expect(result.Entries?.[0]?.EventId).toBeDefined();
    expect(eventBridge.bus.stats().unknownBus).toBe(before + 1);
  });
});

describe("TestEventPattern", () => {
  const event = JSON.stringify({
    id: "1",
    account: "000000000000",
    source: "ripple.parking",
    time: "2026-01-01T00:00:00Z",
    region: "us-east-1",
    resources: [],
    "detail-type": "CarParkOccupancyChanged",
    detail: { data: { percentFull: 91 } },
  });

  it.each([
    {
      description: "a matching pattern",
      pattern: { detail: { data: { percentFull: [{ numeric: [">=", 90] }] } } },
      result: true,
    },
    { description: "a pattern that does not match", pattern: { source: ["ripple.carbon"] }, result: false },
  ])("answers $result for $description", async ({ pattern, result }) => {
    // Arrange
    const command = new TestEventPatternCommand({ EventPattern: JSON.stringify(pattern), Event: event });

    // Act
    const answer = await eventBridge.client.send(command);

    // Assert
    expect(answer.Result).toBe(result);
  });

  it.each([
    {
      description: "a leaf that is no array",
      pattern: { source: "x" },
      reason: '"source" must be an object or an array',
    },
    {
      description: "a numeric range with equal bounds",
      pattern: { detail: { data: { percentFull: [{ numeric: [">=", 90, "<=", 90] }] } } },
      reason: "Bottom must be less than top",
    },
    {
      description: "an inclusive upper bound at -5e9",
      pattern: { detail: { data: { percentFull: [{ numeric: ["<=", -5e9] }] } } },
      reason: "Bottom must be less than top",
    },
    {
      description: "numeric equals with a string",
      pattern: { detail: { data: { percentFull: [{ numeric: ["=", "90"] }] } } },
      reason: "Value of equals must be numeric",
    },
  ])("refuses $description with InvalidEventPatternException", async ({ pattern, reason }) => {
    // Arrange
    const command = new TestEventPatternCommand({ EventPattern: JSON.stringify(pattern), Event: event });

    // Act
    const error = await failure(() => eventBridge.client.send(command));

    // Assert
    expect(error).toBeInstanceOf(InvalidEventPatternException);
    expect(error.message).toBe(`Event pattern is not valid. Reason: ${reason}`);
  });

  it("refuses a pattern longer than 4096 characters", async () => {
    // Arrange
    const pattern = JSON.stringify({ source: ["x".repeat(4100)] });

    // Act
    const error = await failure(() =>
      eventBridge.client.send(new TestEventPatternCommand({ EventPattern: pattern, Event: event })),
    );

    // Assert
    expect(error.name).toBe("ValidationException");
  });

  it.each([
    { description: "without id", change: { id: undefined } },
    { description: "without detail-type", change: { "detail-type": undefined } },
    { description: "with a time that is no timestamp", change: { time: "yesterday" } },
  ])("refuses an event $description", async ({ change }) => {
    // Arrange
    const broken = JSON.stringify({ ...(JSON.parse(event) as Record<string, unknown>), ...change });

    // Act
    const error = await failure(() =>
      eventBridge.client.send(
        new TestEventPatternCommand({ EventPattern: '{"source":["x"]}', Event: broken }),
      ),
    );

    // Assert
    expect(error.name).toBe("ValidationException");
    expect(error.message).toMatch(/^Parameter Event is not valid\./);
  });

  it("tests an event without resources, as EventBridge does", async () => {
    // Arrange
    const { resources: _, ...withoutResources } = JSON.parse(event) as Record<string, unknown>;

    // Act
    const answer = await eventBridge.client.send(
      new TestEventPatternCommand({
        EventPattern: '{"source":["ripple.parking"]}',
        Event: JSON.stringify(withoutResources),
      }),
    );

    // Assert
    expect(answer.Result).toBe(true);
  });
});

describe("rules and targets", () => {
  it("holds one rule per declared consumer, with the derived name and pattern", async () => {
    // Arrange
    const expected = pipeline.consumers.map((c) => ({
      Name: ruleName(pipeline, c),
      EventPattern: rulePattern(c),
    }));

    // Act
    const listed = await eventBridge.client.send(new ListRulesCommand({ EventBusName: pipeline.bus.name }));

    // Assert
    const actual = (listed.Rules ?? []).map((r) => ({
      Name: r.Name,
      EventPattern: JSON.parse(r.EventPattern ?? "{}"),
    }));
    expect(actual).toEqual(expect.arrayContaining(expected));
    expect(actual).toHaveLength(expected.length);
  });

  it("describes the declared bus", async () => {
    // Arrange + Act
    const described = await eventBridge.client.send(new DescribeEventBusCommand({ Name: pipeline.bus.name }));
    const listed = await eventBridge.client.send(
      new ListEventBusesCommand({ NamePrefix: pipeline.bus.name }),
    );

    // Assert
    expect(described.Arn).toBe(`arn:aws:events:us-east-1:000000000000:event-bus/${pipeline.bus.name}`);
    expect(listed.EventBuses?.map((b) => b.Name)).toEqual([pipeline.bus.name]);
  });

  it("creates, lists by prefix, describes, retargets and deletes a run-time rule", async () => {
    // Arrange
    const EventBusName = pipeline.bus.name;
    const pattern = JSON.stringify({ source: [{ prefix: "ripple." }] });

    // Act
    const created = await eventBridge.client.send(
      new PutRuleCommand({ Name: "watch-all", EventBusName, EventPattern: pattern }),
    );
    await eventBridge.client.send(
      new PutTargetsCommand({
        Rule: "watch-all",
        EventBusName,
        Targets: [{ Id: "hook", Arn: "http://127.0.0.1:9/events", RetryPolicy: { MaximumRetryAttempts: 3 } }],
      }),
    );
    const described = await eventBridge.client.send(
      new DescribeRuleCommand({ Name: "watch-all", EventBusName }),
    );
    const listed = await eventBridge.client.send(
      new ListRulesCommand({ EventBusName, NamePrefix: "watch-" }),
    );
    const targets = await eventBridge.client.send(
      new ListTargetsByRuleCommand({ Rule: "watch-all", EventBusName }),
    );
    const refused = await failure(() =>
      eventBridge.client.send(new DeleteRuleCommand({ Name: "watch-all", EventBusName })),
    );
    await eventBridge.client.send(
      new RemoveTargetsCommand({ Rule: "watch-all", EventBusName, Ids: ["hook"] }),
    );
    await eventBridge.client.send(new DeleteRuleCommand({ Name: "watch-all", EventBusName }));
    const gone = await failure(() =>
      eventBridge.client.send(new DescribeRuleCommand({ Name: "watch-all", EventBusName })),
    );

    // Assert
    expect(created.RuleArn).toBe(`arn:aws:events:us-east-1:000000000000:rule/${EventBusName}/watch-all`);
    expect(described).toMatchObject({ Name: "watch-all", EventPattern: pattern, State: "ENABLED" });
    expect(listed.Rules?.map((r) => r.Name)).toEqual(["watch-all"]);
    expect(targets.Targets).toEqual([
      { Id: "hook", Arn: "http://127.0.0.1:9/events", RetryPolicy: { MaximumRetryAttempts: 3 } },
    ]);
    expect(refused.name).toBe("ValidationException");
    expect(gone.name).toBe("ResourceNotFoundException");
  });

  it.each([
    {
      description: "an invalid pattern",
      input: { EventPattern: JSON.stringify({ source: [] }) },
      error: "InvalidEventPatternException",
    },
    { description: "a name with a space", input: { Name: "bad name" }, error: "ValidationException" },
    {
      description: "a schedule",
      input: { ScheduleExpression: "rate(1 minute)" },
      error: "ValidationException",
    },
  ])("refuses a rule with $description", async ({ input, error }) => {
    // Arrange
    const command = new PutRuleCommand({
      Name: "r",
      EventBusName: pipeline.bus.name,
      EventPattern: JSON.stringify({ source: ["x"] }),
      ...input,
    });

    // Act
    const thrown = await failure(() => eventBridge.client.send(command));

    // Assert
    expect(thrown.name).toBe(error);
  });

  it.each([
    {
      description: "185 retry attempts exceeded",
      target: { RetryPolicy: { MaximumRetryAttempts: 186 } },
      message: "between 0 and 185",
    },
    {
      description: "an event age under 60 s",
      target: { RetryPolicy: { MaximumEventAgeInSeconds: 59 } },
      message: "between 60 and 86400",
    },
    {
      description: "an event age over 24 h",
      target: { RetryPolicy: { MaximumEventAgeInSeconds: 86_401 } },
      message: "between 60 and 86400",
    },
    {
      description: "a remote URL",
      target: { Arn: "http://example.com/hook" },
      message: "http://127.0.0.1:PORT/path",
    },
    {
      description: "an InputTransformer",
      target: { InputTransformer: { InputTemplate: "{}" } },
      message: "InputTransformer",
    },
  ])("refuses a target with $description", async ({ target, message }) => {
    // Arrange
    const rule = ruleName(pipeline, pipeline.consumers[0]!);
    const command = new PutTargetsCommand({
      Rule: rule,
      EventBusName: pipeline.bus.name,
      Targets: [{ Id: "extra", Arn: "arn:aws:lambda:us-east-1:000000000000:function:x", ...target }],
    });

    // Act
    const error = await failure(() => eventBridge.client.send(command));

    // Assert
    expect(error.name).toBe("ValidationException");
    expect(error.message).toContain(message);
  });

  it("refuses a sixth target on one rule", async () => {
    // Arrange
    const EventBusName = pipeline.bus.name;
    await eventBridge.client.send(
      new PutRuleCommand({ Name: "crowded", EventBusName, EventPattern: '{"source":["x"]}' }),
    );
    const targets = Array.from({ length: 6 }, (_, i) => ({ Id: `t${i}`, Arn: `http://127.0.0.1:9/${i}` }));

    // Act
    const error = await failure(() =>
      eventBridge.client.send(new PutTargetsCommand({ Rule: "crowded", EventBusName, Targets: targets })),
    );

    // Assert
    expect(error.name).toBe("LimitExceededException");
  });
});

describe("protocol", () => {
  it("serves a client configured only through AWS_ENDPOINT_URL_EVENTBRIDGE", async () => {
    // Arrange
    const previous = process.env.AWS_ENDPOINT_URL_EVENTBRIDGE;
    process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = eventBridge.bus.endpoint;
    const fromEnv = new EventBridgeClient({ ...LOCAL_CLIENT_CONFIG });

    // Act
    const listed = await fromEnv.send(new ListEventBusesCommand({}));
    fromEnv.destroy();
    if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_EVENTBRIDGE;
    else process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = previous;

    // Assert
    expect(listed.EventBuses?.map((b) => b.Name)).toEqual(["default", pipeline.bus.name]);
  });

  it.each([
    {
      description: "an operation it does not implement",
      headers: { "x-amz-target": "AWSEvents.StartReplay" },
      body: "{}",
      type: "UnknownOperationException",
    },
    {
      description: "a request without X-Amz-Target",
      headers: {},
      body: "{}",
      type: "UnknownOperationException",
    },
    {
      description: "a body that is no JSON",
      headers: { "x-amz-target": "AWSEvents.ListRules" },
      body: "{",
      type: "SerializationException",
    },
  ])("answers $description with a JSON 1.1 error", async ({ headers, body, type }) => {
    // Arrange
    const request: RequestInit = {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", ...(headers as Record<string, string>) },
      body,
    };

    // Act
    const response = await fetch(eventBridge.bus.endpoint, request);

    // Assert
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/x-amz-json-1.1");
    expect(await response.json()).toMatchObject({ __type: type, message: expect.any(String) });
  });
});
