import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { addNagChecks, addRippleStack } from "#infra/cdk/app.ts";
import type { RippleStack } from "#infra/cdk/stack.ts";
import type { Stage } from "#infra/cdk/stage.ts";
import type { PipelineDeclaration } from "#infra/declaration.ts";

/** A resource of a synthesized template: CloudFormation JSON, indexed freely by the assertions. */
export interface TemplateResource {
  readonly Type: string;
  // biome-ignore lint/suspicious/noExplicitAny: template JSON is untyped (as in CDK's own Template.findResources)
  readonly Properties: Record<string, any>;
  readonly DeletionPolicy?: string;
}

export interface Synthesized {
  readonly stack: RippleStack;
  readonly template: Template;
  /** The template as plain JSON. */
  readonly json: Record<string, unknown> & { Resources: Record<string, TemplateResource> };
}

/**
 * An app for the tests: function bundling skipped (the assertions look at the template;
 * `synth.test.ts` bundles for real), one ripple stack per requested stage.
 */
function testApp<S extends Stage>(
  outdir: string,
  stages: readonly S[],
  pipeline?: PipelineDeclaration,
): { app: App; stacks: Record<S, RippleStack> } {
  const app = new App({ outdir, context: { "aws:cdk:bundling-stacks": [] } });
  const stacks = Object.fromEntries(stages.map((stage) => [stage, addRippleStack(app, stage, pipeline)]));
  return { app, stacks: stacks as Record<S, RippleStack> };
}

/**
 * Synthesizes ripple's stacks for the given stages in one app, in one synthesis, without cdk-nag
 * (`nag.test.ts` runs it). Call it once per test file, in `beforeAll`.
 *
 * @example
 * const { dev, prod } = synthesize(["dev", "prod"]);
 */
export function synthesize<S extends Stage>(
  stages: readonly S[],
  pipeline?: PipelineDeclaration,
): Record<S, Synthesized> {
  const outdir = mkdtempSync(join(tmpdir(), "ripple-cdk-"));
  try {
    const { stacks } = testApp(outdir, stages, pipeline);
    const out = {} as Record<S, Synthesized>;
    for (const stage of stages) {
      const stack = stacks[stage];
      // The first Template.fromStack synthesizes the app; the others reuse its assembly.
      const template = Template.fromStack(stack);
      out[stage] = { stack, template, json: template.toJSON() as Synthesized["json"] };
    }
    return out;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export interface NagRun {
  readonly app: App;
  /** Unacknowledged findings as `rule @ construct path` lines (empty when clean). */
  readonly violations: string[];
}

/**
 * Synthesizes the stacks of the given stages in one app with the cdk-nag AwsSolutions checks, as
 * `npm run synth` does, and collects what they report. `extend` adds constructs before synthesis.
 */
export function nagRun(stages: readonly Stage[], extend?: (app: App) => void): NagRun {
  const outdir = mkdtempSync(join(tmpdir(), "ripple-nag-"));
  try {
    const { app } = testApp(outdir, stages);
    addNagChecks(app);
    extend?.(app);
    try {
      app.synth();
      return { app, violations: [] };
    } catch (error) {
      const report = JSON.parse(readFileSync(join(outdir, "validation-report.json"), "utf8")) as {
        pluginReports: {
          violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
        }[];
      };
      const violations = report.pluginReports.flatMap((r) =>
        r.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} @ ${c.constructPath}`)),
      );
      if (violations.length === 0) throw error;
      return { app, violations };
    }
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
