import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { SOURCES } from "#schemas/domain-events.ts";
import { type Synthesized, synthesize } from "./synth.ts";

let dev: Synthesized;

beforeAll(() => {
  ({ dev } = synthesize(["dev"]));
}, 600_000);

describe("the bus's resource policy", () => {
  it("denies PutEvents of ripple's sources to every principal but the fan-out's role and redrive's", () => {
    // Arrange
    const policies = dev.template.findResources("AWS::Events::EventBusPolicy");
    const statement = Object.values(policies).find((p) =>
      String(p.Properties.StatementId).endsWith("RippleSourcesOnlyFromFanOutAndRedrive"),
    )?.Properties.Statement;
    const fanOutRole = Object.keys(dev.template.findResources("AWS::IAM::Role")).find((id) =>
      id.startsWith("FanOut"),
    );
    const redriveRole = Object.keys(dev.template.findResources("AWS::IAM::Role")).find((id) =>
      id.includes("RedriveRole"),
    );

    // Assert
    expect(statement).toMatchObject({
      Effect: "Deny",
      Principal: { AWS: "*" },
      Action: "events:PutEvents",
      Condition: {
        StringEquals: { "events:source": Object.values(SOURCES) },
        ArnNotEquals: {
          "aws:PrincipalArn": [{ "Fn::GetAtt": [fanOutRole, "Arn"] }, { "Fn::GetAtt": [redriveRole, "Arn"] }],
        },
      },
    });
  });

  it("lets the redrive role, which operators assume, put events on the bus", () => {
    dev.template.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: "events:PutEvents", Effect: "Allow" })]),
      },
      Roles: Match.arrayWith([{ Ref: Match.stringLikeRegexp("RedriveRole") }]),
    });
  });
});
