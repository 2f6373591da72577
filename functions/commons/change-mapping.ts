import type { ChangeKind, DomainEvent } from "#schemas/domain-events.ts";

/** A source's mapping of change kinds to domain events (the declaration's `changes`). */
export interface ChangeMappingLike {
  readonly changes: readonly { readonly on: readonly ChangeKind[]; readonly event: DomainEvent }[];
}

/** The domain events a change of the given kind on a source becomes (EXPIRE falls back to REMOVE). */
export function eventsForChange(source: ChangeMappingLike, kind: ChangeKind): DomainEvent[] {
  const direct = source.changes.filter((c) => c.on.includes(kind)).map((c) => c.event);
  if (direct.length > 0 || kind !== "EXPIRE") return direct;
  return source.changes.filter((c) => c.on.includes("REMOVE")).map((c) => c.event);
}

/** Table name from a DynamoDB stream ARN (`arn:aws:dynamodb:…:table/NAME/stream/LABEL`). */
export function tableNameFromStreamArn(arn: string): string | undefined {
  return /:table\/([^/]+)\/stream\//.exec(arn)?.[1];
}
