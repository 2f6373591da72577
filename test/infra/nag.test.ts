import { Stack, Validations } from "aws-cdk-lib";
import { Queue } from "aws-cdk-lib/aws-sqs";
import { beforeAll, describe, expect, it } from "vitest";
import { ACCEPTED_FINDINGS } from "#infra/cdk/nag.ts";
import { type NagRun, nagRun } from "./synth.ts";

/** A stack outside ripple with a queue breaking two AwsSolutions rules: proves the checks run. */
const CANARY = "NagCanary";

let run: NagRun;

beforeAll(() => {
  run = nagRun(["dev", "prod"], (app) => new Queue(new Stack(app, CANARY), "PlainQueue"));
});

/** Every acknowledgment recorded under a ripple stack: rule id, reason and the construct it is on. */
function acknowledgments() {
  return run.app.node
    .findAll()
    .filter((c) => !c.node.path.startsWith(CANARY))
    .flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) => Object.entries(m.data as Record<string, string>))
        .map(([id, reason]) => ({
          // One stream-listing acknowledgment per source table, one for the on-failure bucket's
          // objects: named here by the accepted pattern.
          id: id
            .replace(/^[^:]+::/, "")
            .replace(/<[A-Za-z0-9]+\.Arn>\/stream/, "<TABLE.Arn>/stream")
            .replace(/<[A-Za-z0-9]+\.Arn>\/aws\/lambda/, "<BUCKET.Arn>/aws/lambda"),
          reason,
          construct: c,
        })),
    );
}

describe("cdk-nag AwsSolutions", () => {
  it.each([
    { description: "dev", stack: "ripple-dev/" },
    { description: "prod", stack: "ripple-prod/" },
  ])("reports no unacknowledged finding in $description", ({ stack }) => {
    // Arrange
    const { violations } = run;

    // Act
    const inStack = violations.filter((v) => v.includes(` @ ${stack}`));

    // Assert
    expect(inStack).toEqual([]);
  });

  it("fails the synthesis on a finding nobody acknowledged", () => {
    // Arrange
    const canary = `${CANARY}/PlainQueue/Resource`;

    // Act
    const { violations } = run;

    // Assert
    expect(violations.sort()).toEqual([`AwsSolutions-SQS3 @ ${canary}`, `AwsSolutions-SQS4 @ ${canary}`]);
  });

  it("acknowledges only the accepted findings, each with its written reason", () => {
    // Arrange
    const accepted = Object.values(ACCEPTED_FINDINGS).map((f) => `${f.id}: ${f.reason}`);

    // Act
    const recorded = [...new Set(acknowledgments().map((a) => `${a.id}: ${a.reason}`))];

    // Assert
    expect(recorded.sort()).toEqual(accepted.sort());
  });

  it("acknowledges on single resources, never on a whole stack", () => {
    // Arrange
    const all = acknowledgments();

    // Act
    const onStacks = all.filter((a) => Stack.isStack(a.construct)).map((a) => a.construct.node.path);

    // Assert
    expect(all.length).toBeGreaterThan(0);
    expect(onStacks).toEqual([]);
  });
});
