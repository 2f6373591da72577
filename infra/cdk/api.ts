import { AccessLogFormat } from "aws-cdk-lib/aws-apigateway";
import {
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpStage,
  LogGroupLogDestination,
} from "aws-cdk-lib/aws-apigatewayv2";
import { HttpIamAuthorizer } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import { LogGroup } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import type { PipelineDeclaration } from "#infra/declaration.ts";
import { InvalidPropsError } from "./errors.ts";
import { RippleFunction } from "./function.ts";
import { type StageSettings, stageName } from "./stage.ts";
import type { PipelineTables } from "./tables.ts";

/** Routes anyone may call: the health check and the API description. Every other route needs IAM auth. */
export const PUBLIC_ROUTES = ["/health", "/openapi.json"] as const;

/** One JSON line per request, with HTTP API's context variables. */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: "$context.requestId",
    requestTime: "$context.requestTime",
    sourceIp: "$context.identity.sourceIp",
    caller: "$context.identity.caller",
    userArn: "$context.identity.userArn",
    httpMethod: "$context.httpMethod",
    routeKey: "$context.routeKey",
    path: "$context.path",
    status: "$context.status",
    protocol: "$context.protocol",
    responseLength: "$context.responseLength",
    responseLatency: "$context.responseLatency",
    integrationLatency: "$context.integrationLatency",
    integrationError: "$context.integrationErrorMessage",
    authorizerError: "$context.authorizer.error",
  }),
);

export interface ProducerApiProps {
  readonly pipeline: PipelineDeclaration;
  readonly stage: StageSettings;
  readonly tables: PipelineTables;
  readonly projectRoot: string;
}

/**
 * The producers' HTTP API: an API Gateway HTTP API whose `$default` route sends every request to
 * the API function (which routes internally), signed with SigV4 (IAM authorizer) except the public
 * routes; default-stage throttling as declared and JSON access logs to a log group.
 */
export class ProducerApi extends Construct {
  readonly fn: RippleFunction;
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: ProducerApiProps) {
    super(scope, id);
    const { pipeline, tables } = props;
    const { rateLimit, burstLimit } = pipeline.api.throttling;
    if (!(rateLimit > 0 && Number.isInteger(burstLimit) && burstLimit > 0)) {
      throw new InvalidPropsError(
        `api.throttling needs a positive rateLimit and a positive whole burstLimit (given rateLimit ${rateLimit}, burstLimit ${burstLimit})`,
      );
    }
    this.fn = new RippleFunction(this, "Handler", {
      handler: pipeline.api.handler,
      serviceName: "api",
      description: "Producers' HTTP API: validates and writes items to the source tables",
      timeoutSeconds: pipeline.api.timeoutSeconds,
      memorySize: pipeline.api.memorySize,
      stage: props.stage,
      projectRoot: props.projectRoot,
      environment: tables.environment(pipeline.api.tables),
    });
    // The API reads and writes every table it declares; it lists some whole (car parks, pets), and
    // Scan on a table it may already Query is no wider a boundary, so it may scan each of them.
    for (const key of pipeline.api.tables) {
      tables.grant(this.fn.function, key, "readScan", pipeline);
      tables.grant(this.fn.function, key, "write", pipeline);
    }

    const integration = new HttpLambdaIntegration("Integration", this.fn.function);
    this.httpApi = new HttpApi(this, "HttpApi", {
      apiName: stageName(props.stage.stage, `${pipeline.name}-api`),
      description: `${pipeline.name} ${props.stage.stage}: producers' API`,
      createDefaultStage: false,
      defaultIntegration: integration,
      defaultAuthorizer: new HttpIamAuthorizer(),
    });
    for (const path of PUBLIC_ROUTES) {
      this.httpApi.addRoutes({
        path,
        methods: [HttpMethod.GET],
        integration,
        authorizer: new HttpNoneAuthorizer(),
      });
    }
    this.accessLogs = new LogGroup(this, "AccessLogs", {
      retention: props.stage.logRetention,
      removalPolicy: props.stage.removalPolicy,
    });
    this.stage = new HttpStage(this, "DefaultStage", {
      httpApi: this.httpApi,
      stageName: "$default",
      autoDeploy: true,
      throttle: { rateLimit, burstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: ACCESS_LOG_FORMAT,
      },
    });
  }
}
