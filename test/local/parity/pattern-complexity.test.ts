import { PutRuleCommand, TestEventPatternCommand } from "@aws-sdk/client-eventbridge";
import { describe, expect, it } from "vitest";
import { pipeline } from "#infra/pipeline.ts";
import { startTestEventBridge } from "../../helpers/event-bridge.ts";
import { startedForSuite } from "../../helpers/suite.ts";

const REASON =
  "Event pattern is not valid. Reason: Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character";

const eventBridge = startedForSuite(startTestEventBridge);

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
        eventBridge.client.send(
          new PutRuleCommand({ Name: "stacks", EventBusName: pipeline.bus.name, EventPattern: pattern }),
        ),
    },
    {
      operation: "TestEventPattern",
      send: (pattern: string) =>
        eventBridge.client.send(new TestEventPatternCommand({ EventPattern: pattern, Event: EVENT })),
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
    const result = await eventBridge.client.send(
      new TestEventPatternCommand({ EventPattern: stackRule(["Api", "Data", "Web"]), Event: EVENT }),
    );

    // Assert
    expect(result.Result).toBe(true);
  });
});
