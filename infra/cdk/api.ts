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
import type { ApiModel } from "#infra/model.ts";
import { RippleFunction } from "./function.ts";
import { type StageSettings, stageName } from "./stage.ts";
import type { PipelineTables } from "./tables.ts";

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
  /** Name of the pipeline: the API is named `<stage>-<project>-api`. */
  readonly project: string;
  /** The API's slice of the resolved model. */
  readonly api: ApiModel;
  /** Its configuration variable (`RIPPLE_CONFIG_API`), rendered for this stage. */
  readonly environment: Readonly<Record<string, string>>;
  readonly stage: StageSettings;
  readonly tables: PipelineTables;
  readonly projectRoot: string;
}

/**
 * The producers' HTTP API: an API Gateway HTTP API whose `$default` route sends every request to
 * the API function (which routes internally), signed with SigV4 (IAM authorizer) except the public
 * routes the model names (`api.publicRoutes`, from the routes marked public); default-stage
 * throttling as declared and JSON access logs to a log group.
 */
export class ProducerApi extends Construct {
  readonly fn: RippleFunction;
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: ProducerApiProps) {
    super(scope, id);
    const { api, project, tables } = props;
    const { rateLimit, burstLimit } = api.throttling;
    this.fn = new RippleFunction(this, "Handler", {
      handler: api.handler,
      serviceName: api.service,
      description: api.description,
      timeoutSeconds: api.timeoutSeconds,
      memorySize: api.memorySize,
      stage: props.stage,
      projectRoot: props.projectRoot,
      environment: props.environment,
    });
    for (const grant of api.tables) tables.grant(this.fn.function, grant);

    const integration = new HttpLambdaIntegration("Integration", this.fn.function);
    this.httpApi = new HttpApi(this, "HttpApi", {
      apiName: stageName(props.stage.stage, `${project}-api`),
      description: `${project} ${props.stage.stage}: producers' API`,
      createDefaultStage: false,
      defaultIntegration: integration,
      defaultAuthorizer: new HttpIamAuthorizer(),
    });
    for (const route of api.publicRoutes) {
      this.httpApi.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
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
