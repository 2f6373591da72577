import { EventBridgeClient, PutRuleCommand, TestEventPatternCommand } from "@aws-sdk/client-eventbridge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalEventBridge, startLocalEventBridge } from "#infra/local/eventbridge/server.ts";
import { pipeline } from "#infra/pipeline.ts";
import { LOCAL_CLIENT_CONFIG } from "../../helpers/dynamodb.ts";

const silent = { info: () => {}, warn: () => {}, error: () => {} };
const REASON =
  "Event pattern is not valid. Reason: Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character";

let bus: LocalEventBridge;
let client: EventBridgeClient;

beforeAll(async () => {
  bus = await startLocalEventBridge({ port: 0, pipeline, logger: silent });
  client = new EventBridgeClient({ ...LOCAL_CLIENT_CONFIG, endpoint: bus.endpoint, maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  await bus.stop();
});

const stackRule = (names: readonly string[]) =>
  JSON.stringify({
    source: ["aws.cloudformation"],
    detail: { "stack-id": names.map((name) => ({ wildcard: `*:stack/${name}/*` })) },
  });

const EVENT = JSON.stringify({
  id: "1",
  account: "000000000000",
  source: "aws.cloudformation",
  time: "2026-01-29T00:00:00Z",
  region: "us-east-1",
  resources: [],
  "detail-type": "CloudFormation Stack Status Change",
  detail: { "stack-id": "arn:aws:cloudformation:us-east-1:000000000000:stack/Api/1" },
});

describe("the local bus refuses wildcard patterns EventBridge finds too complex", () => {
  it.each([
    {
      operation: "PutRule",
      send: (pattern: string) =>
        client.send(
          new PutRuleCommand({ Name: "stacks", EventBusName: pipeline.bus.name, EventPattern: pattern }),
        ),
    },
    {
      operation: "TestEventPattern",
      send: (pattern: string) =>
        client.send(new TestEventPatternCommand({ EventPattern: pattern, Event: EVENT })),
    },
  ])(
    "$operation refuses four repeated `*:stack/NAME/*` wildcards with EventBridge's reason",
    async ({ send }) => {
      // Act
      const error = await send(stackRule(["Api", "Data", "Web", "Monitoring"])).then(
        () => undefined,
        (e: Error) => e,
      );

      // Assert
      expect(error?.name).toBe("InvalidEventPatternException");
      expect(error?.message).toBe(REASON);
    },
  );

  it("accepts and matches three", async () => {
    // Act
    const result = await client.send(
      new TestEventPatternCommand({ EventPattern: stackRule(["Api", "Data", "Web"]), Event: EVENT }),
    );

    // Assert
    expect(result.Result).toBe(true);
  });
});
