import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type CliUsage, flagsOrExit, parseFlags } from "../cli/flags.ts";
import { isStage, STAGES, type Stage, stageName } from "../topology.ts";
import { audit, auditTableNames, formatDifference, formatFinding, reportJson } from "./audit.ts";
import { AuditUsageError } from "./errors.ts";

/**
 * The audit CLI (`npm run audit`, entry `main.ts`): recomputes every aggregate from its source tables and prints each difference.
 * Exit 0 with a one-line summary when all agree, 1 on any difference or unreadable item (each a
 * finding naming its table and key), 2 on bad flags or tables it cannot read.
 * The DynamoDB client uses the SDK's standard configuration: `AWS_ENDPOINT_URL_DYNAMODB` points it
 * at the local runtime; `TABLE_<KEY>` variables override declared table names.
 */

const USAGE = `usage: npm run audit [-- --stage ${STAGES.join("|")}] [--json]
  --stage NAME   audit a deployed stage's tables (${STAGES.map((s) => stageName(s, "PetStore")).join(", ")}, …); default: the declared names, as the local runtime has them
  --json         print one JSON object: { ok, differences: [...], findings: [...] }
  --help         show this text`;

export interface AuditIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** @default a client from the SDK's standard configuration */
  readonly client?: DynamoDBClient;
  readonly env?: NodeJS.ProcessEnv;
}

export interface AuditFlags {
  readonly json: boolean;
  readonly help: boolean;
  readonly stage?: Stage;
}

/** Parses the audit's flags; throws {@link AuditUsageError} on anything else. */
export function parseAuditArgs(argv: readonly string[]): AuditFlags {
  const { values } = parseFlags(
    argv,
    { strings: ["stage"], booleans: ["json", "help"] },
    (message, cause) =>
      new AuditUsageError(`${message} (given ${JSON.stringify(argv.join(" "))}); ${USAGE}`, { cause }),
  );
  if (values.stage !== undefined && !isStage(values.stage)) {
    throw new AuditUsageError(
      `--stage must be one of ${STAGES.join(", ")} (given ${JSON.stringify(values.stage)}); ${USAGE}`,
    );
  }
  return {
    json: values.json,
    help: values.help,
    ...(values.stage === undefined ? {} : { stage: values.stage }),
  };
}

const AUDIT_CLI: CliUsage = { usage: USAGE, UsageError: AuditUsageError, prefix: "" };

/** Runs the audit as the CLI does and returns the exit code. */
export async function runAudit(argv: readonly string[], io: AuditIo): Promise<number> {
  const flags = flagsOrExit(() => parseAuditArgs(argv), AUDIT_CLI, io);
  if (typeof flags === "number") return flags;
  const client = io.client ?? new DynamoDBClient({});
  try {
    const tables = auditTableNames(undefined, io.env ?? process.env, flags.stage);
    const report = await audit(client, tables);
    const { differences, findings } = report;
    if (flags.json) io.out(reportJson(report));
    else {
      for (const d of differences) io.out(formatDifference(d));
      for (const f of findings) io.out(formatFinding(f));
    }
    if (differences.length > 0 || findings.length > 0) {
      io.err(
        `audit: ${differences.length} difference(s) between the aggregates and their source tables, ${findings.length} unreadable item(s)`,
      );
      return 1;
    }
    if (!flags.json) io.out("audit: no differences — every aggregate matches its source tables");
    return 0;
  } catch (error) {
    // Data never lands here (unreadable items are findings); a missing table or endpoint does.
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    io.err(
      `audit: could not read the tables (${reason}); check AWS_ENDPOINT_URL_DYNAMODB, the region and credentials, or --stage`,
    );
    return 2;
  } finally {
    if (io.client === undefined) client.destroy();
  }
}
