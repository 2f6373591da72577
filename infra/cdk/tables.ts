import { Tags } from "aws-cdk-lib";
import {
  type Attribute,
  AttributeType,
  BillingMode,
  type ITable,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from "aws-cdk-lib/aws-dynamodb";
import { Grant, type IGrantable, PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import { Construct } from "constructs";
import type { KeyAttribute } from "#infra/declaration.ts";
import type { TableGrantModel, TableModel } from "#infra/model.ts";
import { InvalidPropsError } from "./errors.ts";
import { type StageSettings, stageName } from "./stage.ts";

/** KMS actions DynamoDB needs of a caller when the table is encrypted with a customer managed key. */
const KEY_ACTIONS = {
  read: ["kms:Decrypt"],
  write: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
} as const;

export interface PipelineTablesProps {
  /** Tag `project` and the key's description. */
  readonly project: string;
  /** The model's tables, by key. */
  readonly tables: Readonly<Record<string, TableModel>>;
  readonly stage: StageSettings;
}

const attributeType = (a: KeyAttribute): Attribute => ({
  name: a.name,
  type: { S: AttributeType.STRING, N: AttributeType.NUMBER, B: AttributeType.BINARY }[a.type],
});

/** Tag values allow letters, digits, spaces and `_ . : / = + - @`; anything else becomes a space. */
const tagValue = (text: string): string =>
  text
    .replace(/[^\p{L}\p{N}\s_.:/=+\-@]/gu, " ")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 256);

/**
 * Every declared table, on demand, with its keys, indexes, TTL and stream as declared; point-in-time
 * recovery, encryption at rest, deletion protection and removal policy as the stage says.
 *
 * Construct ids are the declaration's table keys (renaming a key replaces the table).
 */
export class PipelineTables extends Construct {
  /** Customer managed key of the tables, when the stage encrypts with one. */
  readonly encryptionKey?: Key;
  private readonly byKey = new Map<string, Table>();
  private readonly names = new Map<string, string>();
  private readonly indexNames = new Map<string, readonly string[]>();

  constructor(scope: Construct, id: string, props: PipelineTablesProps) {
    super(scope, id);
    const { project, stage } = props;
    if (stage.tableEncryption === TableEncryption.CUSTOMER_MANAGED) {
      this.encryptionKey = new Key(this, "Key", {
        description: `${project} ${stage.stage}: encryption at rest of the DynamoDB tables`,
        enableKeyRotation: true,
        removalPolicy: stage.removalPolicy,
      });
    }
    for (const [key, declared] of Object.entries(props.tables)) {
      this.byKey.set(key, this.createTable(key, declared, props));
      this.names.set(key, stageName(stage.stage, declared.tableName));
      this.indexNames.set(
        key,
        declared.globalSecondaryIndexes.map((i) => i.indexName),
      );
    }
  }

  private createTable(key: string, declared: TableModel, props: PipelineTablesProps): Table {
    const { project, stage } = props;
    const table = new Table(this, key, {
      tableName: stageName(stage.stage, declared.tableName),
      partitionKey: attributeType(declared.partitionKey),
      ...(declared.sortKey === undefined ? {} : { sortKey: attributeType(declared.sortKey) }),
      billingMode: BillingMode.PAY_PER_REQUEST,
      ...(declared.stream === undefined ? {} : { stream: StreamViewType.NEW_IMAGE }),
      ...(declared.timeToLiveAttribute === undefined
        ? {}
        : { timeToLiveAttribute: declared.timeToLiveAttribute }),
      pointInTimeRecoverySpecification: {
        pointInTimeRecoveryEnabled: declared.pointInTimeRecovery,
      },
      deletionProtection: stage.deletionProtection,
      removalPolicy: stage.removalPolicy,
      encryption: stage.tableEncryption,
      ...(this.encryptionKey === undefined ? {} : { encryptionKey: this.encryptionKey }),
    });
    for (const index of declared.globalSecondaryIndexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: attributeType(index.partitionKey),
        ...(index.sortKey === undefined ? {} : { sortKey: attributeType(index.sortKey) }),
        projectionType: index.projection === "KEYS_ONLY" ? ProjectionType.KEYS_ONLY : ProjectionType.ALL,
      });
    }
    Tags.of(table).add("project", project);
    Tags.of(table).add("stage", stage.stage);
    Tags.of(table).add("purpose", tagValue(declared.purpose));
    const seed = /seed (\d{3})/.exec(declared.purpose)?.[1];
    Tags.of(table).add("seed", seed ?? "pipeline");
    return table;
  }

  /** The table of a declaration key; throws naming the declared keys when there is none. */
  table(key: string): Table {
    const table = this.byKey.get(key);
    if (table === undefined) {
      throw new InvalidPropsError(
        `no table "${key}" is declared; use one of: ${[...this.byKey.keys()].join(", ")}`,
      );
    }
    return table;
  }

  /** Every table, by declaration key. */
  entries(): [string, Table][] {
    return [...this.byKey.entries()];
  }

  /**
   * Grants exactly the actions a function's slice of the model names for one table, on the table
   * and (for reads and scans) each of its indexes by name, no wildcard; plus the key actions
   * DynamoDB needs when the table has a customer managed key.
   */
  grant(grantee: IGrantable, grant: TableGrantModel): void {
    const table = this.table(grant.table);
    const indexes = grant.onIndexes
      ? (this.indexNames.get(grant.table) ?? []).map((name) => `${table.tableArn}/index/${name}`)
      : [];
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: [...grant.actions], resources: [table.tableArn, ...indexes] }),
    );
    const writes = grant.access.includes("write") || grant.access.includes("put");
    this.encryptionKey?.grant(grantee, ...KEY_ACTIONS[writes ? "write" : "read"]);
  }

  /**
   * The table as an event source reads it: the table itself, except that reading its stream is
   * granted on that table's streams only. The CDK's `grantStreamRead` puts `dynamodb:ListStreams`
   * on `Resource: *`; AWS documents it scoped to `arn:…:table/NAME/stream/*`, so that is what the
   * event source's function gets here (with the three data actions on the stream's ARN).
   */
  streamSource(key: string): ITable {
    const table = this.table(key);
    const grantStreamRead = (grantee: IGrantable): Grant => {
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
          resources: [table.tableStreamArn!],
        }),
      );
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({ actions: ["dynamodb:ListStreams"], resources: [`${table.tableArn}/stream/*`] }),
      );
      this.encryptionKey?.grantDecrypt(grantee);
      return Grant.drop(grantee, `read the stream of ${key}`);
    };
    // The event source binds to everything else of the table as it is.
    return Object.create(table, { grantStreamRead: { value: grantStreamRead } }) as ITable;
  }

  /** Physical name of a declared table in this stage, e.g. `prod-PetStore`. */
  physicalName(key: string): string {
    this.table(key);
    return this.names.get(key)!;
  }
}
