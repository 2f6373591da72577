import { join } from "node:path";
import { Duration } from "aws-cdk-lib";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Architecture, Runtime, Tracing } from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup } from "aws-cdk-lib/aws-logs";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { METRICS_NAMESPACE } from "#schemas/contracts.ts";
import type { StageSettings } from "./stage.ts";

/** Lambda runtime of every ripple function; the bundles target the same Node.js version. */
export const FUNCTION_RUNTIME = Runtime.NODEJS_22_X;

/** Makes `require` available inside the ESM bundle for dependencies that still call it. */
const REQUIRE_SHIM =
  "import { createRequire as __rippleCreateRequire } from 'node:module'; const require = __rippleCreateRequire(import.meta.url);";

/**
 * How every function is bundled (local esbuild): an ESM bundle for Node.js 22, minified, with a
 * source map. The AWS SDK stays out (the Lambda runtime provides it), as NodejsFunction leaves it.
 */
export const FUNCTION_BUNDLING = {
  format: OutputFormat.ESM,
  target: "node22",
  minify: true,
  sourceMap: true,
  mainFields: ["module", "main"],
  banner: REQUIRE_SHIM,
};

/**
 * The esbuild options `NodejsFunction` builds a ripple function with: {@link FUNCTION_BUNDLING},
 * plus what it adds on its own for a Node.js 22 runtime (platform node, the runtime's own AWS SDK
 * v3 left external). For the tests and benches that bundle a handler as a deploy would.
 */
export const NODEJS_FUNCTION_BUILD = {
  bundle: true,
  platform: "node",
  format: FUNCTION_BUNDLING.format,
  target: FUNCTION_BUNDLING.target,
  minify: FUNCTION_BUNDLING.minify,
  sourcemap: FUNCTION_BUNDLING.sourceMap,
  mainFields: [...FUNCTION_BUNDLING.mainFields],
  external: ["@aws-sdk/*"],
  banner: { js: FUNCTION_BUNDLING.banner },
} as const;

export interface RippleFunctionProps {
  /** Handler module, relative to the project root, as the model names it (`resolvePipeline` checked it exists). */
  readonly handler: string;
  /** Powertools service name: the dimension `service` of its metrics and the logger's service. */
  readonly serviceName: string;
  readonly description: string;
  /** Checked by `resolvePipeline` (1–900). */
  readonly timeoutSeconds: number;
  /** Checked by `resolvePipeline` (128–10,240). */
  readonly memorySize: number;
  readonly stage: StageSettings;
  /** Absolute path of the project root (where package.json and package-lock.json are). */
  readonly projectRoot: string;
  /** @default no variables beyond Powertools' and NODE_OPTIONS */
  readonly environment?: Readonly<Record<string, string>>;
  /** Lambda's reserved concurrency. @default unreserved */
  readonly reservedConcurrency?: number;
  /**
   * How Lambda handles the function's asynchronous invocations (EventBridge targets): retries of
   * a function error, the longest an event may wait, and the dead-letter queue of events that
   * fail every attempt.
   * @default Lambda's defaults (2 retries, 6 h) and no dead-letter queue
   */
  readonly asyncInvoke?: {
    readonly retryAttempts: number;
    readonly maxEventAge: Duration;
    readonly deadLetterQueue: IQueue;
  };
}

/**
 * A ripple Lambda function with the defaults every function shares, set here once: Node.js 22 on
 * arm64, an ESM bundle built by the local esbuild (no Docker), active tracing, its own log group
 * with the stage's retention, and its own role that may write only to that log group.
 *
 * Permissions beyond logging are granted by the construct that wires the function.
 */
export class RippleFunction extends Construct {
  readonly function: NodejsFunction;
  /** Powertools service name: the `service` dimension of its metrics. */
  readonly serviceName: string;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: RippleFunctionProps) {
    super(scope, id);
    this.serviceName = props.serviceName;
    const entry = join(props.projectRoot, props.handler);
    this.logGroup = new LogGroup(this, "LogGroup", {
      retention: props.stage.logRetention,
      removalPolicy: props.stage.removalPolicy,
    });
    this.role = new Role(this, "Role", {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
      description: `${props.serviceName}: writes its own logs; other permissions are granted per resource`,
    });
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.function = new NodejsFunction(this, "Function", {
      entry,
      handler: "handler",
      projectRoot: props.projectRoot,
      depsLockFilePath: join(props.projectRoot, "package-lock.json"),
      description: props.description,
      runtime: FUNCTION_RUNTIME,
      architecture: Architecture.ARM_64,
      timeout: Duration.seconds(props.timeoutSeconds),
      memorySize: props.memorySize,
      tracing: Tracing.ACTIVE,
      logGroup: this.logGroup,
      role: this.role,
      ...(props.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrency }),
      ...(props.asyncInvoke === undefined
        ? {}
        : {
            retryAttempts: props.asyncInvoke.retryAttempts,
            maxEventAge: props.asyncInvoke.maxEventAge,
            deadLetterQueue: props.asyncInvoke.deadLetterQueue,
          }),
      environment: {
        NODE_OPTIONS: "--enable-source-maps",
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: "INFO",
        ...props.environment,
      },
      bundling: { forceDockerBundling: false, ...FUNCTION_BUNDLING },
    });
  }
}
