import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { App, type AppProps, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import type { PipelineDeclaration } from "#infra/declaration.ts";
import { PROJECT_ROOT as MODEL_PROJECT_ROOT, resolvePipeline } from "#infra/model.ts";
import { model as declaredModel } from "#infra/pipeline.ts";
import { RippleStack } from "./stack.ts";
import { stageSettings } from "./stage.ts";

/** Root of the project: handler paths in the declaration are relative to it. */
export const PROJECT_ROOT = MODEL_PROJECT_ROOT;

export interface BuildAppOptions {
  /** Props of the app (context such as `stage`, outdir). @default the CDK CLI's */
  readonly appProps?: AppProps;
  /** A declaration to resolve and build. @default the model of infra/pipeline.ts */
  readonly pipeline?: PipelineDeclaration;
  /** Run the cdk-nag AwsSolutions checks at synthesis (a finding fails it). @default true */
  readonly nag?: boolean;
}

/**
 * Adds ripple's stack for one stage to an app: `${model.name}-${stage}`, e.g. `ripple-prod`. A
 * declaration other than ripple's own is resolved first (`resolvePipeline`), so the app refuses
 * exactly what `npm start` refuses.
 *
 * Several stages may share one app (the tests synthesize dev and prod together, once).
 */
export function addRippleStack(app: App, stage: unknown, pipeline?: PipelineDeclaration): RippleStack {
  const model = pipeline === undefined ? declaredModel : resolvePipeline(pipeline);
  const settings = stageSettings(stage);
  return new RippleStack(app, `${model.name}-${settings.stage}`, {
    model,
    stage: settings,
    projectRoot: PROJECT_ROOT,
    description: `${model.name} (${settings.stage}): DynamoDB Streams to EventBridge to exact aggregates`,
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
