import { LocalRuntimeError } from "./errors.ts";

/**
 * The local runtime's fault switch: failures AWS produces now and then, made to happen on
 * purpose so a user can watch the pipeline stay exact through them (`npm run prove`, the
 * dashboard). Each fault is off until set; `PUT /local/faults` sets them on a running runtime.
 *
 * None of these exists in AWS as a switch; each is a failure AWS documents:
 * - `putEventsEntryFailure`: PutEvents answers 200 with entries failed (`InternalFailure`);
 * - `putEventsThrottle`: PutEvents refused whole with `ThrottlingException`;
 * - `consumerError`: a consumer's invocation throws (a function error);
 * - `consumerTimeout`: a consumer's invocation runs past its timeout;
 * - `duplicate`: the bus delivers an event twice (at-least-once delivery);
 * - `reorderMaxDelayMs`: the bus holds each delivery back a random time (no ordering).
 */
export interface Faults {
  /** Chance that one PutEvents entry fails, 0–1. */
  readonly putEventsEntryFailure: number;
  /** Chance that one PutEvents request is throttled, 0–1. */
  readonly putEventsThrottle: number;
  /** Chance per invocation that a consumer throws, by consumer name (`*` for all), 0–1. */
  readonly consumerError: Readonly<Record<string, number>>;
  /** Chance per invocation that a consumer times out, by consumer name (`*` for all), 0–1. */
  readonly consumerTimeout: Readonly<Record<string, number>>;
  readonly duplicate: boolean;
  readonly reorderMaxDelayMs: number;
}

export const NO_FAULTS: Faults = Object.freeze({
  putEventsEntryFailure: 0,
  putEventsThrottle: 0,
  consumerError: {},
  consumerTimeout: {},
  duplicate: false,
  reorderMaxDelayMs: 0,
});

/** A fault setting that cannot be taken: says which, the value and what is expected. */
export class FaultSettingError extends LocalRuntimeError {
  constructor(message: string) {
    super(message);
    this.name = "FaultSettingError";
  }
}

const chance = (name: string, value: unknown): number => {
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
    throw new FaultSettingError(
      `${name} must be a chance between 0 and 1, e.g. 0.2 (given ${JSON.stringify(value)})`,
    );
  }
  return value;
};

function chances(name: string, value: unknown, consumers: readonly string[]): Record<string, number> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new FaultSettingError(
      `${name} must map consumer names to chances, e.g. {"carbon-stats": 0.5} or {"*": 0.1} (given ${JSON.stringify(value)})`,
    );
  }
  const out: Record<string, number> = {};
  for (const [consumer, p] of Object.entries(value)) {
    if (consumer !== "*" && !consumers.includes(consumer)) {
      throw new FaultSettingError(
        `${name}: no consumer "${consumer}" (consumers: ${consumers.join(", ")}, or "*")`,
      );
    }
    out[consumer] = chance(`${name}.${consumer}`, p);
  }
  return out;
}

/**
 * Reads a fault setting (what `PUT /local/faults` takes): any subset of {@link Faults}, the rest
 * keeping `current`.
 * @throws {FaultSettingError} naming the field, the value and what is expected
 */
export function parseFaults(input: unknown, current: Faults, consumers: readonly string[]): Faults {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new FaultSettingError(
      `a fault setting must be a JSON object, e.g. {"putEventsEntryFailure": 0.2} (given ${JSON.stringify(input)})`,
    );
  }
  const known = Object.keys(NO_FAULTS);
  const fields = input as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!known.includes(key))
      throw new FaultSettingError(`unknown fault "${key}"; the faults are ${known.join(", ")}`);
  }
  const has = (k: keyof Faults) => k in fields;
  const delay = fields.reorderMaxDelayMs;
  if (
    has("reorderMaxDelayMs") &&
    !(typeof delay === "number" && Number.isInteger(delay) && delay >= 0 && delay <= 60_000)
  ) {
    throw new FaultSettingError(
      `reorderMaxDelayMs must be whole milliseconds from 0 to 60000, e.g. 200 (given ${JSON.stringify(delay)})`,
    );
  }
  if (has("duplicate") && typeof fields.duplicate !== "boolean") {
    throw new FaultSettingError(
      `duplicate must be true or false (given ${JSON.stringify(fields.duplicate)})`,
    );
  }
  return Object.freeze({
    putEventsEntryFailure: has("putEventsEntryFailure")
      ? chance("putEventsEntryFailure", fields.putEventsEntryFailure)
      : current.putEventsEntryFailure,
    putEventsThrottle: has("putEventsThrottle")
      ? chance("putEventsThrottle", fields.putEventsThrottle)
      : current.putEventsThrottle,
    consumerError: has("consumerError")
      ? chances("consumerError", fields.consumerError, consumers)
      : current.consumerError,
    consumerTimeout: has("consumerTimeout")
      ? chances("consumerTimeout", fields.consumerTimeout, consumers)
      : current.consumerTimeout,
    duplicate: has("duplicate") ? (fields.duplicate as boolean) : current.duplicate,
    reorderMaxDelayMs: has("reorderMaxDelayMs") ? (delay as number) : current.reorderMaxDelayMs,
  });
}

/** The switch the runtime's parts consult on every call. */
export class FaultSwitch {
  private current: Faults;

  constructor(
    private readonly consumers: readonly string[],
    initial: Faults = NO_FAULTS,
    private readonly random: () => number = Math.random,
  ) {
    this.current = initial;
  }

  get faults(): Faults {
    return this.current;
  }

  /** Applies a setting (see {@link parseFaults}); returns what is now in force. */
  set(input: unknown): Faults {
    this.current = parseFaults(input, this.current, this.consumers);
    return this.current;
  }

  clear(): void {
    this.current = NO_FAULTS;
  }

  private readonly counts: Record<string, number> = {};

  /** How many times each fault has struck since the runtime started, by fault name. */
  get fired(): Readonly<Record<string, number>> {
    return { ...this.counts };
  }

  private roll(fault: keyof Faults, p: number | undefined): boolean {
    const strikes = p !== undefined && p > 0 && this.random() < p;
    if (strikes) this.counts[fault] = (this.counts[fault] ?? 0) + 1;
    return strikes;
  }

  failPutEventsEntry(): boolean {
    return this.roll("putEventsEntryFailure", this.current.putEventsEntryFailure);
  }

  throttlePutEvents(): boolean {
    return this.roll("putEventsThrottle", this.current.putEventsThrottle);
  }

  consumerThrows(consumer: string): boolean {
    return this.roll(
      "consumerError",
      this.current.consumerError[consumer] ?? this.current.consumerError["*"],
    );
  }

  consumerTimesOut(consumer: string): boolean {
    return this.roll(
      "consumerTimeout",
      this.current.consumerTimeout[consumer] ?? this.current.consumerTimeout["*"],
    );
  }

  /** Counts a delivery made twice or held back by the switch. */
  count(fault: "duplicate" | "reorderMaxDelayMs"): void {
    this.counts[fault] = (this.counts[fault] ?? 0) + 1;
  }
}

/** The failure a consumer fault raises. */
export class InjectedFaultError extends LocalRuntimeError {
  constructor(message: string) {
    super(message);
    this.name = "InjectedFaultError";
  }
}

/**
 * A consumer's handler as the fault switch makes it behave: it throws, or runs past its timeout
 * (Lambda stops it there; the handler never runs), or runs as it is.
 */
export function withFaults<TEvent, TResult>(
  faults: FaultSwitch,
  consumer: string,
  timeoutSeconds: number,
  handler: (event: TEvent, context: unknown) => Promise<TResult>,
): (event: TEvent, context: unknown) => Promise<TResult> {
  return async (event, context) => {
    if (faults.consumerThrows(consumer)) {
      throw new InjectedFaultError(
        `${consumer} failed: consumerError is set on the local runtime's fault switch`,
      );
    }
    if (faults.consumerTimesOut(consumer)) {
      await new Promise((r) => setTimeout(r, timeoutSeconds * 1000 + 1000));
      throw new InjectedFaultError(
        `${consumer} ran past its ${timeoutSeconds} s timeout: consumerTimeout is set`,
      );
    }
    return handler(event, context);
  };
}
