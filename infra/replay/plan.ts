import type { InputRecord } from "./input.ts";

/**
 * The order and batches a replay delivers records in. DynamoDB Streams guarantees each item's
 * changes in modification order (across shards, children after parents) and nothing across
 * items; Lambda hands one shard's records to the function in batches and, after a failure,
 * sends the batch again from the failed record on. A replay keeps the first guarantee always,
 * and can make the rest happen on purpose: items interleaved at random (`shuffle`), and batches
 * sent again from a random record on (`duplicate`), as a retry after a timeout would.
 */

/** A deterministic pseudo-random source in [0, 1), so a `--seed` reproduces a run (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function itemKey(r: InputRecord): string {
  const keys = r.record.dynamodb?.Keys ?? {};
  const sorted = Object.keys(keys)
    .sort()
    .map((k) => [k, keys[k]]);
  return `${r.table}\u0000${JSON.stringify(sorted)}`;
}

function bySequence(a: InputRecord, b: InputRecord): number {
  const x = BigInt(a.record.dynamodb?.SequenceNumber ?? "0");
  const y = BigInt(b.record.dynamodb?.SequenceNumber ?? "0");
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Each item's records in sequence-number order. Without `random`, every record keeps its place in
 * the input and only an item's own records swap among that item's places; with it, items are
 * interleaved at random.
 */
export function orderRecords(records: readonly InputRecord[], random?: () => number): InputRecord[] {
  const groups = new Map<string, { slots: number[]; records: InputRecord[] }>();
  records.forEach((r, index) => {
    const key = itemKey(r);
    const group = groups.get(key) ?? { slots: [], records: [] };
    group.slots.push(index);
    group.records.push(r);
    groups.set(key, group);
  });
  for (const group of groups.values()) group.records.sort(bySequence);
  if (random === undefined) {
    const out: InputRecord[] = new Array(records.length);
    for (const group of groups.values()) {
      group.slots.forEach((slot, i) => {
        out[slot] = group.records[i]!;
      });
    }
    return out;
  }
  // Pick the next item with chance proportional to what it has left: a uniform interleaving.
  const queues = [...groups.values()].map((g) => g.records);
  let left = records.length;
  const out: InputRecord[] = [];
  while (left > 0) {
    let pick = Math.floor(random() * left);
    const queue = queues.find((q) => {
      if (pick < q.length) return true;
      pick -= q.length;
      return false;
    })!;
    out.push(queue.shift()!);
    left--;
  }
  return out;
}

/** Consecutive records of one table, at most `batchSize` of them: what one invocation gets. */
export function toBatches(
  ordered: readonly InputRecord[],
  batchSize: (table: string) => number,
): InputRecord[][] {
  const batches: InputRecord[][] = [];
  let current: InputRecord[] = [];
  for (const r of ordered) {
    const first = current[0];
    if (first !== undefined && (first.table !== r.table || current.length >= batchSize(r.table))) {
      batches.push(current);
      current = [];
    }
    current.push(r);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * Where a batch is sent again, as Lambda resends after a failed invocation: from a record chosen
 * with chance `probability` per record, to the batch's end. `undefined` when it is not resent.
 */
export function redeliveryStart(
  batchLength: number,
  probability: number,
  random: () => number,
): number | undefined {
  for (let i = 0; i < batchLength; i++) if (random() < probability) return i;
  return undefined;
}
