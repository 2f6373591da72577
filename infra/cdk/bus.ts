import { Duration, Stack } from "aws-cdk-lib";
import { Archive, EventBus } from "aws-cdk-lib/aws-events";
import { CfnRegistry, CfnSchema } from "aws-cdk-lib/aws-eventschemas";
import { Construct } from "constructs";
import { type DomainEventName, DomainEvents, detailJsonSchemas } from "#schemas/domain-events.ts";
import { type StageSettings, stageName } from "./stage.ts";

export interface DomainEventBusProps {
  /** Name of the pipeline, for descriptions. */
  readonly project: string;
  /** Name of the bus as declared; the stage prefixes it. */
  readonly busName: string;
  /** Whole days the archive keeps events, 0 meaning forever (checked by `resolvePipeline`). */
  readonly archiveRetentionDays: number;
  readonly stage: StageSettings;
}

/**
 * The custom event bus every domain event goes through, an archive of all its events for replay,
 * and a schema registry holding each event's detail schema.
 *
 * The registry's schemas are JSONSchemaDraft4 (EventBridge accepts only that and OpenApi3), generated
 * from the same zod schemas as the draft 2020-12 ones the code validates with.
 */
export class DomainEventBus extends Construct {
  readonly bus: EventBus;
  /** Physical name of the bus, e.g. `prod-ripple`. */
  readonly busName: string;
  readonly archive: Archive;
  readonly registry: CfnRegistry;
  /** Schema resources, by detail-type. */
  readonly schemas: ReadonlyMap<DomainEventName, CfnSchema>;

  constructor(scope: Construct, id: string, props: DomainEventBusProps) {
    super(scope, id);
    const { project, stage } = props;
    const retentionDays = props.archiveRetentionDays;
    const busName = stageName(stage.stage, props.busName);
    this.busName = busName;
    this.bus = new EventBus(this, "Bus", {
      eventBusName: busName,
      description: `${project} ${stage.stage}: domain events from the source tables' streams`,
    });
    this.archive = new Archive(this, "Archive", {
      sourceEventBus: this.bus,
      archiveName: `${busName}-archive`,
      description: "Every domain event, for replay (replays are delivered unordered)",
      eventPattern: { account: [Stack.of(this).account] },
      retention: Duration.days(retentionDays),
    });
    this.registry = new CfnRegistry(this, "Registry", {
      registryName: busName,
      description: `${project} ${stage.stage}: detail schemas of the domain events`,
    });
    const schemas = new Map<DomainEventName, CfnSchema>();
    for (const [name, content] of Object.entries(detailJsonSchemas("draft-04")) as [
      DomainEventName,
      object,
    ][]) {
      const event = DomainEvents[name];
      const schema = new CfnSchema(this, `Schema${name}`, {
        registryName: this.registry.attrRegistryName,
        schemaName: `${event.source}@${event.detailType}`,
        type: "JSONSchemaDraft4",
        description: event.description,
        content: JSON.stringify(content),
      });
      schemas.set(name, schema);
    }
    this.schemas = schemas;
  }
}
