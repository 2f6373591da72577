import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { App, type AppProps, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import type { PipelineDeclaration } from "#infra/declaration.ts";
import { pipeline as declaredPipeline } from "#infra/pipeline.ts";
import { RippleStack } from "./stack.ts";
import { stageSettings } from "./stage.ts";

/** Root of the project: handler paths in the declaration are relative to it. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export interface BuildAppOptions {
  /** Props of the app (context such as `stage`, outdir). @default the CDK CLI's */
  readonly appProps?: AppProps;
  /** @default the declaration in infra/pipeline.ts */
  readonly pipeline?: PipelineDeclaration;
  /** Run the cdk-nag AwsSolutions checks at synthesis (a finding fails it). @default true */
  readonly nag?: boolean;
}

/**
 * Adds ripple's stack for one stage to an app: `${pipeline.name}-${stage}`, e.g. `ripple-prod`.
 *
 * Several stages may share one app (the tests synthesize dev and prod together, once).
 */
export function addRippleStack(
  app: App,
  stage: unknown,
  pipeline: PipelineDeclaration = declaredPipeline,
): RippleStack {
  const settings = stageSettings(stage);
  return new RippleStack(app, `${pipeline.name}-${settings.stage}`, {
    pipeline,
    stage: settings,
    projectRoot: PROJECT_ROOT,
    description: `${pipeline.name} (${settings.stage}): DynamoDB Streams to EventBridge to exact aggregates`,
  });
}

/**
 * Builds ripple's CDK app for one stage (context `stage`: `-c stage=dev|prod`, default dev), with
 * the cdk-nag AwsSolutions checks as a validation plugin so a new finding fails the synthesis.
 */
export function buildApp(options: BuildAppOptions = {}): { app: App; stack: RippleStack } {
  const app = new App(options.appProps);
  const stack = addRippleStack(app, app.node.tryGetContext("stage") ?? "dev", options.pipeline);
  if (options.nag ?? true) addNagChecks(app);
  return { app, stack };
}

/** Runs cdk-nag's AwsSolutions checks when the app synthesizes; any unacknowledged finding fails it. */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildApp().app.synth();
}
