import { randomUUID } from "node:crypto";
import { AWS_LIMITS } from "#commons/limits.ts";
import type { PutEventsLimits } from "#commons/publisher.ts";
import {
  DEFAULT_RETRY_POLICY,
  type Delivery,
  type DeliveryTarget,
  type EventBridgeEvent,
  type RetryPolicy,
} from "./delivery.ts";
import { EventBridgeApiError, InvalidEventPatternError } from "./errors.ts";
import { type CompiledPattern, compilePattern, flattenEvent, matchesFlat } from "./pattern.ts";

/**
 * EventBridge's control- and data-plane operations over the local buses, rules and targets,
 * validating every input as EventBridge does. The HTTP server maps `AWSEvents.<Op>` to these.
 */

export const MAX_PUT_EVENTS_ENTRIES = 10;
export const MAX_EVENT_PATTERN_LENGTH = 4096;
export const MAX_TARGETS_PER_RULE = 5;

type Json = Record<string, unknown>;

export interface TargetDefinition {
  readonly Id: string;
  readonly Arn: string;
  readonly RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
  readonly DeadLetterConfig?: { Arn?: string };
  readonly Input?: string;
  readonly InputPath?: string;
}

interface Rule {
  readonly name: string;
  readonly busName: string;
  readonly arn: string;
  eventPattern: string;
  compiled: CompiledPattern;
  state: "ENABLED" | "DISABLED";
  description?: string;
  readonly targets: Map<string, TargetDefinition>;
}

interface Bus {
  readonly name: string;
  readonly arn: string;
  readonly rules: Map<string, Rule>;
}

const NAME = /^[.\-_A-Za-z0-9]{1,64}$/;

const validation = (message: string) => new EventBridgeApiError("ValidationException", message);

/** Byte size of one PutEvents entry as EventBridge counts it. */
export function entrySize(entry: Json): number {
  let size = entry.Time === undefined || entry.Time === null ? 0 : 14;
  for (const key of ["Source", "DetailType", "Detail"]) {
    const value = entry[key];
    if (typeof value === "string") size += Buffer.byteLength(value, "utf8");
  }
  if (Array.isArray(entry.Resources)) {
    for (const r of entry.Resources) if (typeof r === "string") size += Buffer.byteLength(r, "utf8");
  }
  return size;
}

/** `2026-01-02T03:04:05Z`: the envelope's time, seconds precision. */
const isoSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");

export interface EventBridgeApiProps {
  readonly accountId: string;
  readonly region: string;
  readonly delivery: Delivery;
  readonly now: () => number;
  readonly logger: Pick<Console, "info" | "warn" | "error">;
  /** @default no policy: any caller may publish any source but `aws.*` */
  readonly resourcePolicy?: BusResourcePolicy;
  /**
   * Most bytes PutEvents takes per request (and so per entry), counted by {@link entrySize}.
   * @default AWS_LIMITS (1 MB)
   */
  readonly limits?: PutEventsLimits;
  /** Failures to make happen on purpose (the runtime's fault switch). @default none */
  readonly faults?: PutEventsFaults;
}

/** What the fault switch can make PutEvents do: fail entries, or throttle a request whole. */
export interface PutEventsFaults {
  throttlePutEvents(): boolean;
  failPutEventsEntry(): boolean;
}

/**
 * The local stand-in for an event bus's resource policy: on the named bus, events whose source is
 * protected are admitted only from the listed credentials (the access key id a request is signed
 * with stands for the caller's role). Any other caller's entry fails as EventBridge fails it, with
 * `NotAuthorizedForSourceException`, the rest of the request going ahead.
 */
export interface BusResourcePolicy {
  readonly eventBusName: string;
  readonly protectedSources: readonly string[];
  readonly allowedAccessKeyIds: readonly string[];
}

/** Who sent a request, as its SigV4 signature says. */
export interface Caller {
  /** The access key id of the request's `Authorization: AWS4-HMAC-SHA256 Credential=…` header. */
  readonly accessKeyId?: string;
}

/** The local control and data plane: buses, rules, targets, PutEvents, TestEventPattern. */
export class EventBridgeApi {
  private readonly buses = new Map<string, Bus>();

  /** Most bytes PutEvents takes per request and per entry. */
  readonly limits: PutEventsLimits;

  constructor(private readonly props: EventBridgeApiProps) {
    this.limits = props.limits ?? AWS_LIMITS;
    this.createBus("default");
  }

  /** Creates a bus unless it exists; returns its ARN. */
  createBus(name: string): string {
    const existing = this.buses.get(name);
    if (existing !== undefined) return existing.arn;
    const arn = `arn:aws:events:${this.props.region}:${this.props.accountId}:event-bus/${name}`;
    this.buses.set(name, { name, arn, rules: new Map() });
    return arn;
  }

  /**
   * Every operation it implements, by the name a request's `X-Amz-Target` gives, in the order an
   * unknown operation's refusal lists them; each is called on this API with the request's input
   * and caller.
   */
  private readonly operations: Readonly<Record<string, (input: Json, caller: Caller) => Json>> = {
    PutEvents: this.putEvents,
    TestEventPattern: this.testEventPattern,
    PutRule: this.putRule,
    DescribeRule: this.describeRule,
    DeleteRule: this.deleteRule,
    EnableRule: (input) => this.setRuleState(input, "ENABLED"),
    DisableRule: (input) => this.setRuleState(input, "DISABLED"),
    ListRules: this.listRules,
    PutTargets: this.putTargets,
    RemoveTargets: this.removeTargets,
    ListTargetsByRule: this.listTargetsByRule,
    CreateEventBus: this.createEventBus,
    DescribeEventBus: this.describeEventBus,
    ListEventBuses: this.listEventBuses,
  };

  /** Dispatches one operation by name (`PutEvents`, `PutRule`, …). */
  handle(operation: string, input: Json, caller: Caller = {}): Json {
    const run = Object.hasOwn(this.operations, operation) ? this.operations[operation] : undefined;
    if (run === undefined) {
      const names = Object.keys(this.operations);
      throw new EventBridgeApiError(
        "UnknownOperationException",
        `The local EventBridge endpoint does not implement ${operation}; it implements ${names.slice(0, -1).join(", ")} and ${names.at(-1)}`,
      );
    }
    return run.call(this, input, caller);
  }

  /** Bus by name or ARN; `undefined` input means the default bus. */
  /** The delivery settings of a rule's target as they are now, or undefined when there is none. */
  deliveryTargetFor(busName: string, ruleName: string, targetId: string): DeliveryTarget | undefined {
    const rule = this.busNamed(busName)?.rules.get(ruleName);
    const target = rule?.targets.get(targetId);
    return rule === undefined || target === undefined ? undefined : this.deliveryTarget(rule, target);
  }

  private busNamed(nameOrArn: unknown): Bus | undefined {
    const name =
      typeof nameOrArn === "string" && nameOrArn !== ""
        ? nameOrArn.replace(/^arn:[^:]+:events:[^:]*:[^:]*:event-bus\//, "")
        : "default";
    return this.buses.get(name);
  }

  private requireBus(nameOrArn: unknown): Bus {
    const bus = this.busNamed(nameOrArn);
    if (bus === undefined) {
      throw new EventBridgeApiError(
        "ResourceNotFoundException",
        `Event bus ${String(nameOrArn)} does not exist.`,
      );
    }
    return bus;
  }

  private requireRule(input: Json): Rule {
    const bus = this.requireBus(input.EventBusName);
    const name = input.Name ?? input.Rule;
    const rule = typeof name === "string" ? bus.rules.get(name) : undefined;
    if (rule === undefined) {
      throw new EventBridgeApiError(
        "ResourceNotFoundException",
        `Rule ${String(name)} does not exist on EventBus ${bus.name}.`,
      );
    }
    return rule;
  }

  // ---- data plane ----------------------------------------------------------------------------

  putEvents(input: Json, caller: Caller = {}): Json {
    const entries = input.Entries;
    if (!Array.isArray(entries) || entries.length < 1) {
      throw validation(
        "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
    }
    if (entries.length > MAX_PUT_EVENTS_ENTRIES) {
      throw validation(
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${MAX_PUT_EVENTS_ENTRIES} (given ${entries.length}; split the entries over several PutEvents calls)`,
      );
    }
    const total = entries.reduce<number>((sum, e) => sum + entrySize(e as Json), 0);
    const limits = this.limits;
    const largest = Math.max(...entries.map((e) => entrySize(e as Json)));
    if (total > limits.putEventsRequestBytes || largest > limits.putEventsEntryBytes) {
      throw validation(
        `Total size of the entries in the request is over the limit. (${total} bytes given, the largest entry ${largest}; a request may carry at most ${limits.putEventsRequestBytes} bytes and an entry at most ${limits.putEventsEntryBytes}, counting Time as 14 bytes and Source, DetailType, Detail and Resources as UTF-8; send fewer or smaller entries)`,
      );
    }
    if (this.props.faults?.throttlePutEvents() === true) {
      throw new EventBridgeApiError(
        "ThrottlingException",
        "Rate exceeded (a fault set on the local runtime's fault switch)",
      );
    }
    const receivedAt = this.props.now();
    const results = entries.map((entry) =>
      this.props.faults?.failPutEventsEntry() === true
        ? {
            ErrorCode: "InternalFailure",
            ErrorMessage: "Internal failure (a fault set on the local runtime's fault switch).",
          }
        : typeof entry === "object" && entry !== null
          ? this.putEntry(entry as Json, receivedAt, caller)
          : this.putEntry({}, receivedAt, caller),
    );
    return { FailedEntryCount: results.filter((r) => r.ErrorCode !== undefined).length, Entries: results };
  }

  /** Whether the bus's resource policy refuses this caller this entry's source. */
  private refusedByPolicy(entry: Json, caller: Caller): boolean {
    const policy = this.props.resourcePolicy;
    if (policy === undefined) return false;
    const busName = this.busNamed(entry.EventBusName)?.name;
    if (busName !== policy.eventBusName) return false;
    if (!policy.protectedSources.includes(entry.Source as string)) return false;
    return caller.accessKeyId === undefined || !policy.allowedAccessKeyIds.includes(caller.accessKeyId);
  }

  private putEntry(entry: Json, receivedAt: number, caller: Caller): Json {
    const invalid = (field: string) => ({
      ErrorCode: "InvalidArgument",
      ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
    });
    if (typeof entry.Source !== "string" || entry.Source.trim() === "") return invalid("Source");
    if (typeof entry.DetailType !== "string" || entry.DetailType.trim() === "") return invalid("DetailType");
    if (typeof entry.Detail !== "string" || entry.Detail === "") return invalid("Detail");
    if (entry.Source.startsWith("aws.")) {
      return { ErrorCode: "NotAuthorizedForSourceException", ErrorMessage: "Not authorized for the source." };
    }
    if (this.refusedByPolicy(entry, caller)) {
      this.props.logger.warn(
        `local EventBridge refused a ${String(entry.DetailType)} event with source ${entry.Source} from credentials ${caller.accessKeyId ?? "(unsigned)"}: the bus admits that source only from the fan-out's and redrive's`,
      );
      return {
        ErrorCode: "NotAuthorizedForSourceException",
        ErrorMessage: "You do not have permissions to publish events with this source onto this event bus.",
      };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." };
    }
    if (typeof detail !== "object" || detail === null || Array.isArray(detail)) {
      return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." };
    }
    const resources = entry.Resources;
    if (
      resources !== undefined &&
      (!Array.isArray(resources) || resources.some((r) => typeof r !== "string"))
    ) {
      return {
        ErrorCode: "InvalidArgument",
        ErrorMessage: "Parameter Resources is not valid. Reason: Resources must be a list of strings.",
      };
    }
    const time =
      typeof entry.Time === "number"
        ? entry.Time * 1000
        : typeof entry.Time === "string"
          ? Date.parse(entry.Time)
          : receivedAt;
    const event: EventBridgeEvent = {
      version: "0",
      id: randomUUID(),
      "detail-type": entry.DetailType,
      source: entry.Source,
      account: this.props.accountId,
      time: isoSeconds(Number.isFinite(time) ? time : receivedAt),
      region: this.props.region,
      resources: (resources as string[] | undefined) ?? [],
      detail: detail as Record<string, unknown>,
    };
    const bus = this.busNamed(entry.EventBusName);
    if (bus === undefined) {
      // EventBridge accepts events for a bus that does not exist and does nothing with them.
      this.props.delivery.stats.unknownBus++;
      this.props.logger.warn(
        `local EventBridge accepted event ${event.id} for event bus ${String(entry.EventBusName)}, which does not exist; like EventBridge it is dropped — check EventBusName`,
      );
      return { EventId: event.id };
    }
    this.route(bus, event, receivedAt);
    return { EventId: event.id };
  }

  private route(bus: Bus, event: EventBridgeEvent, receivedAt: number): void {
    const flat = flattenEvent(event);
    for (const rule of bus.rules.values()) {
      if (rule.state !== "ENABLED" || !matchesFlat(rule.compiled, flat)) continue;
      for (const target of rule.targets.values()) {
        this.props.delivery.enqueue(this.deliveryTarget(rule, target), event, receivedAt);
      }
    }
  }

  private deliveryTarget(rule: Rule, target: TargetDefinition): DeliveryTarget {
    const retryPolicy: RetryPolicy = {
      maximumRetryAttempts:
        target.RetryPolicy?.MaximumRetryAttempts ?? DEFAULT_RETRY_POLICY.maximumRetryAttempts,
      maximumEventAgeInSeconds:
        target.RetryPolicy?.MaximumEventAgeInSeconds ?? DEFAULT_RETRY_POLICY.maximumEventAgeInSeconds,
    };
    const input = target.Input;
    const inputPath = target.InputPath;
    const transform =
      input !== undefined
        ? () => JSON.parse(input) as unknown
        : inputPath !== undefined
          ? (event: EventBridgeEvent) => selectPath(event, inputPath)
          : undefined;
    return {
      ruleName: rule.name,
      ruleArn: rule.arn,
      eventBusName: rule.busName,
      targetId: target.Id,
      targetArn: target.Arn,
      retryPolicy,
      ...(target.DeadLetterConfig?.Arn === undefined ? {} : { deadLetterArn: target.DeadLetterConfig.Arn }),
      ...(transform === undefined ? {} : { transform }),
    };
  }

  testEventPattern(input: Json): Json {
    const compiled = this.patternFrom(input.EventPattern);
    // EventBridge answers every malformed event with "Parameter Event is not valid."; the reason
    // after it is ripple's, so the fix is obvious.
    const invalidEvent = (reason: string) => validation(`Parameter Event is not valid. Reason: ${reason}`);
    if (typeof input.Event !== "string") throw invalidEvent("Event is a required argument.");
    let event: unknown;
    try {
      event = JSON.parse(input.Event);
    } catch (error) {
      throw invalidEvent(`the event is not JSON (${String(error)})`);
    }
    if (typeof event !== "object" || event === null || Array.isArray(event)) {
      throw invalidEvent("the event must be a JSON object");
    }
    // The API reference also lists `resources`, but EventBridge accepts events without it.
    for (const field of ["id", "account", "source", "time", "region", "detail-type"]) {
      if (!(field in event)) throw invalidEvent(`Provided Event is missing required field ${field}.`);
    }
    const time = (event as Record<string, unknown>).time;
    if (typeof time !== "string" || Number.isNaN(Date.parse(time))) {
      throw invalidEvent(
        `time must be an ISO 8601 timestamp such as 2026-01-02T03:04:05Z (given ${JSON.stringify(time)}).`,
      );
    }
    return { Result: matchesFlat(compiled, flattenEvent(event)) };
  }

  private patternFrom(pattern: unknown): CompiledPattern {
    if (typeof pattern !== "string")
      throw validation("Parameter EventPattern is not valid. Reason: EventPattern is a required argument.");
    if (pattern.length > MAX_EVENT_PATTERN_LENGTH) {
      throw validation(
        `1 validation error detected: Value at 'eventPattern' failed to satisfy constraint: Member must have length less than or equal to ${MAX_EVENT_PATTERN_LENGTH} (given ${pattern.length})`,
      );
    }
    try {
      return compilePattern(pattern);
    } catch (error) {
      if (error instanceof InvalidEventPatternError) {
        throw new EventBridgeApiError("InvalidEventPatternException", error.message, 400, { cause: error });
      }
      throw error;
    }
  }

  // ---- rules ---------------------------------------------------------------------------------

  putRule(input: Json): Json {
    const name = input.Name;
    if (typeof name !== "string" || !NAME.test(name)) {
      throw validation(
        `Rule name must be 1-64 characters of letters, digits, '.', '-' and '_' (given ${JSON.stringify(name)})`,
      );
    }
    if (input.ScheduleExpression !== undefined) {
      throw validation(
        "ScheduleExpression is not supported by the local EventBridge endpoint; give the rule an EventPattern",
      );
    }
    if (input.EventPattern === undefined)
      throw validation("Parameter(s) EventPattern or ScheduleExpression must be specified.");
    const compiled = this.patternFrom(input.EventPattern);
    const state = input.State ?? "ENABLED";
    if (state !== "ENABLED" && state !== "DISABLED") {
      throw validation(`State must be ENABLED or DISABLED (given ${JSON.stringify(state)})`);
    }
    const bus = this.requireBus(input.EventBusName);
    const existing = bus.rules.get(name);
    const arn = `arn:aws:events:${this.props.region}:${this.props.accountId}:rule/${bus.name === "default" ? "" : `${bus.name}/`}${name}`;
    const rule: Rule = existing ?? {
      name,
      busName: bus.name,
      arn,
      eventPattern: "",
      compiled,
      state,
      targets: new Map(),
    };
    rule.eventPattern = input.EventPattern as string;
    rule.compiled = compiled;
    rule.state = state;
    if (typeof input.Description === "string") rule.description = input.Description;
    bus.rules.set(name, rule);
    return { RuleArn: rule.arn };
  }

  describeRule(input: Json): Json {
    const rule = this.requireRule(input);
    return {
      Name: rule.name,
      Arn: rule.arn,
      EventPattern: rule.eventPattern,
      State: rule.state,
      EventBusName: rule.busName,
      ...(rule.description === undefined ? {} : { Description: rule.description }),
      CreatedBy: this.props.accountId,
    };
  }

  deleteRule(input: Json): Json {
    const rule = this.requireRule(input);
    if (rule.targets.size > 0) throw validation("Rule can't be deleted since it has targets.");
    this.requireBus(input.EventBusName).rules.delete(rule.name);
    return {};
  }

  private setRuleState(input: Json, state: "ENABLED" | "DISABLED"): Json {
    this.requireRule(input).state = state;
    return {};
  }

  listRules(input: Json): Json {
    const bus = this.requireBus(input.EventBusName);
    const prefix = typeof input.NamePrefix === "string" ? input.NamePrefix : "";
    const rules = [...bus.rules.values()]
      .filter((r) => r.name.startsWith(prefix))
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((r) => ({
        Name: r.name,
        Arn: r.arn,
        EventPattern: r.eventPattern,
        State: r.state,
        EventBusName: bus.name,
      }));
    return paginate(rules, input, "Rules");
  }

  // ---- targets -------------------------------------------------------------------------------

  putTargets(input: Json): Json {
    const rule = this.requireRule(input);
    const targets = input.Targets;
    if (!Array.isArray(targets) || targets.length < 1 || targets.length > 10) {
      throw validation(
        `1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length between 1 and 10 (given ${Array.isArray(targets) ? targets.length : 0})`,
      );
    }
    const checked = targets.map((t) => validateTarget(t as Json));
    const ids = new Set([...rule.targets.keys(), ...checked.map((t) => t.Id)]);
    if (ids.size > MAX_TARGETS_PER_RULE) {
      throw new EventBridgeApiError(
        "LimitExceededException",
        `The requested resource exceeds the maximum number allowed: a rule has at most ${MAX_TARGETS_PER_RULE} targets (rule ${rule.name} would have ${ids.size})`,
      );
    }
    for (const target of checked) rule.targets.set(target.Id, target);
    return { FailedEntryCount: 0, FailedEntries: [] };
  }

  removeTargets(input: Json): Json {
    const rule = this.requireRule(input);
    const ids = input.Ids;
    if (!Array.isArray(ids) || ids.length < 1 || ids.length > 100) {
      throw validation(
        "1 validation error detected: Value at 'ids' failed to satisfy constraint: Member must have length between 1 and 100",
      );
    }
    for (const id of ids) rule.targets.delete(String(id));
    return { FailedEntryCount: 0, FailedEntries: [] };
  }

  listTargetsByRule(input: Json): Json {
    const rule = this.requireRule(input);
    return paginate([...rule.targets.values()], input, "Targets");
  }

  // ---- buses ---------------------------------------------------------------------------------

  private createEventBus(input: Json): Json {
    const name = input.Name;
    if (typeof name !== "string" || !/^[/.\-_A-Za-z0-9]{1,256}$/.test(name) || name === "default") {
      throw validation(
        `Event bus name must be 1-256 characters of letters, digits, '.', '-', '_' and '/' and not "default" (given ${JSON.stringify(name)})`,
      );
    }
    if (this.buses.has(name))
      throw new EventBridgeApiError("ResourceAlreadyExistsException", `Event bus ${name} already exists.`);
    return { EventBusArn: this.createBus(name) };
  }

  private describeEventBus(input: Json): Json {
    const bus = this.requireBus(input.Name);
    return { Name: bus.name, Arn: bus.arn };
  }

  private listEventBuses(input: Json): Json {
    const prefix = typeof input.NamePrefix === "string" ? input.NamePrefix : "";
    const buses = [...this.buses.values()]
      .filter((b) => b.name.startsWith(prefix))
      .map((b) => ({ Name: b.name, Arn: b.arn }));
    return paginate(buses, input, "EventBuses");
  }
}

function validateTarget(t: Json): TargetDefinition {
  if (typeof t.Id !== "string" || !/^[.\-_A-Za-z0-9]{1,64}$/.test(t.Id)) {
    throw validation(
      `Target Id must be 1-64 characters of letters, digits, '.', '-' and '_' (given ${JSON.stringify(t.Id)})`,
    );
  }
  if (typeof t.Arn !== "string" || t.Arn === "") throw validation(`Target ${t.Id} needs an Arn`);
  if (!t.Arn.startsWith("arn:") && !/^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//.test(t.Arn)) {
    throw validation(
      `Target ${t.Id} has Arn ${t.Arn}: locally a target is an ARN (in-process functions) or an http://127.0.0.1:PORT/path URL the event is POSTed to`,
    );
  }
  if (t.InputTransformer !== undefined) {
    throw validation(
      `Target ${t.Id}: InputTransformer is not supported by the local EventBridge endpoint; use Input or InputPath`,
    );
  }
  if (t.Input !== undefined && t.InputPath !== undefined) {
    throw validation(`Target ${t.Id}: only one of Input, InputPath and InputTransformer may be set`);
  }
  if (t.Input !== undefined) {
    try {
      JSON.parse(String(t.Input));
    } catch {
      throw validation(`Target ${t.Id}: Input must be valid JSON text (given ${JSON.stringify(t.Input)})`);
    }
  }
  if (t.InputPath !== undefined && (typeof t.InputPath !== "string" || !/^\$(\.[^.]+)*$/.test(t.InputPath))) {
    throw validation(
      `Target ${t.Id}: InputPath must be a JSONPath like $.detail (given ${JSON.stringify(t.InputPath)})`,
    );
  }
  const retry = (t.RetryPolicy ?? {}) as Json;
  const attempts = retry.MaximumRetryAttempts;
  if (
    attempts !== undefined &&
    (!Number.isInteger(attempts) || (attempts as number) < 0 || (attempts as number) > 185)
  ) {
    throw validation(
      `Target ${t.Id}: RetryPolicy.MaximumRetryAttempts must be between 0 and 185 inclusive (given ${String(attempts)})`,
    );
  }
  const age = retry.MaximumEventAgeInSeconds;
  if (age !== undefined && (!Number.isInteger(age) || (age as number) < 60 || (age as number) > 86_400)) {
    throw validation(
      `Target ${t.Id}: RetryPolicy.MaximumEventAgeInSeconds must be between 60 and 86400 inclusive (given ${String(age)})`,
    );
  }
  const dlq = t.DeadLetterConfig as Json | undefined;
  if (dlq !== undefined && (typeof dlq.Arn !== "string" || !dlq.Arn.startsWith("arn:"))) {
    throw validation(
      `Target ${t.Id}: DeadLetterConfig.Arn must be an ARN (given ${JSON.stringify(dlq.Arn)})`,
    );
  }
  return t as unknown as TargetDefinition;
}

function selectPath(event: EventBridgeEvent, path: string): unknown {
  let value: unknown = event;
  for (const key of path.split(".").slice(1)) {
    value = typeof value === "object" && value !== null ? (value as Json)[key] : undefined;
  }
  return value;
}

function paginate<T>(items: readonly T[], input: Json, key: string): Json {
  const start = typeof input.NextToken === "string" ? Number(input.NextToken) || 0 : 0;
  const limit = typeof input.Limit === "number" && input.Limit > 0 ? input.Limit : 100;
  const page = items.slice(start, start + limit);
  const next = start + limit < items.length ? String(start + limit) : undefined;
  return { [key]: page, ...(next === undefined ? {} : { NextToken: next }) };
}
