/**
 * `npm run prove`'s own record of what it wrote and what the aggregates must therefore say,
 * kept with arithmetic of its own (scaled big integers), never with the consumers' reducers: a
 * check that shared their code would prove little.
 */

/** Decimal text with at most `SCALE` fraction digits, as a big integer of thousandths. */
const SCALE = 3;

export function toThousandths(text: string): bigint {
  const match = /^(\d+)(?:\.(\d{1,3}))?$/.exec(text);
  if (match === null)
    throw new Error(`not a decimal with at most ${SCALE} fraction digits: ${JSON.stringify(text)}`);
  return BigInt(match[1]!) * 1000n + BigInt((match[2] ?? "").padEnd(SCALE, "0"));
}

export function fromThousandths(value: bigint): string {
  const whole = value / 1000n;
  const fraction = (value % 1000n).toString().padStart(SCALE, "0").replace(/0+$/, "");
  return fraction === "" ? whole.toString() : `${whole}.${fraction}`;
}

/** What one user's statistics must say after the writes acknowledged so far. */
export interface ExpectedUser {
  entries: number;
  total: bigint;
  byCategory: Map<string, bigint>;
}

export class Ledger {
  readonly users = new Map<string, ExpectedUser>();
  acknowledged = 0;

  /** Records an entry the API acknowledged. */
  entry(userId: string, category: string, kgCO2e: string): void {
    const user = this.users.get(userId) ?? { entries: 0, total: 0n, byCategory: new Map() };
    const kg = toThousandths(kgCO2e);
    user.entries++;
    user.total += kg;
    user.byCategory.set(category, (user.byCategory.get(category) ?? 0n) + kg);
    this.users.set(userId, user);
    this.acknowledged++;
  }
}

/** A user's statistics as the API shows them (numbers may come as JSON numbers or strings). */
export interface ShownStats {
  readonly entryCount?: number | string;
  readonly totalKgCO2e?: number | string;
  readonly byCategory?: Readonly<Record<string, number | string>>;
}

/** How the shown statistics differ from the ledger: entries lost, counted twice, and wrong sums. */
export interface Comparison {
  readonly lost: number;
  readonly doubled: number;
  readonly mismatches: readonly string[];
}

/**
 * Compares what the API shows with the ledger. A JSON number is read through its decimal text;
 * the API is expected to answer exactly, so a rounded total shows up as a mismatch.
 */
export function compare(ledger: Ledger, shown: ReadonlyMap<string, ShownStats | undefined>): Comparison {
  let lost = 0;
  let doubled = 0;
  const mismatches: string[] = [];
  for (const [userId, expected] of ledger.users) {
    const stats = shown.get(userId);
    const count = Number(stats?.entryCount ?? 0);
    if (count < expected.entries) lost += expected.entries - count;
    if (count > expected.entries) doubled += count - expected.entries;
    const total = String(stats?.totalKgCO2e ?? "0");
    if (total !== fromThousandths(expected.total)) {
      mismatches.push(
        `${userId}: totalKgCO2e is ${total}, the ledger says ${fromThousandths(expected.total)}`,
      );
    }
    for (const [category, kg] of expected.byCategory) {
      const value = String(stats?.byCategory?.[category] ?? "0");
      if (value !== fromThousandths(kg)) {
        mismatches.push(
          `${userId}: byCategory.${category} is ${value}, the ledger says ${fromThousandths(kg)}`,
        );
      }
    }
  }
  return { lost, doubled, mismatches };
}
