/**
 * EventBridge's refusal of wildcard patterns that are too complex to match quickly.
 *
 * EventBridge matches with aws/event-ruler, whose `MachineComplexityEvaluator` measures a rule by
 * the most wildcard-pattern prefixes one worst-case value can keep alive at once in a field's byte
 * machine; EventBridge refuses a rule whose measure is over its limit with "Rule is too complex -
 * try using fewer wildcard characters or fewer repeating character sequences after a wildcard
 * character". Written by hand: event-ruler is Java and no JavaScript port measures complexity.
 *
 * The byte machine is modelled as event-ruler builds it: a value is matched with its enclosing
 * quotes; patterns share their literal prefix up to their first `*` and that first `*`; after it
 * each pattern has its own states; `*` is a state looping on every byte, and the byte after a `*`
 * is reachable from the state before the `*` too (the `*` matching nothing). A set of live states
 * weighs the patterns reachable from each state, plus those reachable through the `*` that
 * follows a live state. docs/parity.md names the evidence for the limit.
 */

/** Most simultaneously live wildcard prefixes EventBridge accepts in one field's machine. */
export const MAX_WILDCARD_COMPLEXITY = 10;

/** EventBridge's reason for refusing a rule over {@link MAX_WILDCARD_COMPLEXITY}. */
export const TOO_COMPLEX_REASON =
  "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character";

/** Stand-in for `*` among byte values. */
const STAR = -1;
/** A byte no pattern names: only `*` states move on it. */
const OTHER = 256;
const QUOTE = 0x22;
/** Live-state sets explored before giving up and calling the machine too complex. */
const MAX_STATE_SETS = 50_000;

interface State {
  /** Next states on a given byte. */
  readonly literal: Map<number, number[]>;
  /** Next states on any byte (`*`). */
  readonly any: number[];
  /** Patterns that pass through this state. */
  readonly weight: Set<number>;
  /** Shared prefix trie: the next state on a byte, before the pattern's first `*`. */
  readonly prefix: Map<number, number>;
  /** Shared first `*` of the patterns whose prefix ends here. */
  star?: number;
}

const newState = (): State => ({ literal: new Map(), any: [], weight: new Set(), prefix: new Map() });

/** The bytes a wildcard value is matched as: quoted, with `\*` and `\\` unescaped and `*` as STAR. */
function wildcardBytes(pattern: string, quoted: boolean): number[] {
  const bytes = Buffer.from(pattern, "utf8");
  const out = quoted ? [QUOTE] : [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b === 0x2a) out.push(STAR);
    else if (b === 0x5c && i + 1 < bytes.length) out.push(bytes[++i] as number);
    else out.push(b);
  }
  if (quoted) out.push(QUOTE);
  return out;
}

function addEdge(state: State, byte: number, next: number): void {
  const list = state.literal.get(byte);
  if (list === undefined) state.literal.set(byte, [next]);
  else list.push(next);
}

/** Builds one field's byte machine from its wildcard patterns; returns its states and alphabet. */
function buildMachine(
  patterns: readonly string[],
  quoted: boolean,
): { states: State[]; alphabet: Set<number> } {
  const states: State[] = [newState()];
  const alphabet = new Set<number>();
  patterns.forEach((pattern, id) => {
    const tokens = wildcardBytes(pattern, quoted);
    let current = 0;
    let previous = -1;
    let determinate = true;
    tokens.forEach((token, i) => {
      const state = states[current] as State;
      const terminal = i === tokens.length - 1;
      const firstStar = token === STAR && determinate;
      let next: number | undefined;
      if (firstStar) next = state.star;
      else if (token !== STAR && determinate && !terminal) next = state.prefix.get(token);
      if (token === STAR) determinate = false;
      const created = next === undefined;
      if (next === undefined) {
        next = states.length;
        states.push(newState());
        if (firstStar) state.star = next;
        else if (token !== STAR && determinate && !terminal) state.prefix.set(token, next);
      }
      const target = states[next] as State;
      if (token === STAR) {
        if (target.any.length === 0) {
          state.any.push(next);
          target.any.push(next);
        }
      } else if (created) {
        alphabet.add(token);
        addEdge(state, token, next);
        // The `*` before this byte may match nothing: the state before it reaches this byte too.
        if (i > 0 && tokens[i - 1] === STAR) addEdge(states[previous] as State, token, next);
      }
      target.weight.add(id);
      previous = current;
      current = next;
    });
  });
  return { states, alphabet };
}

/**
 * The most wildcard-pattern prefixes one value can keep alive at once in a field whose filters
 * include `patterns` (wildcard values as written in the pattern), as event-ruler counts them;
 * stops counting once over `limit`.
 *
 * @param options.quoted - Match values with their enclosing quotes, as event-ruler's JSON rules
 * do (EventBridge); false measures bare values, as event-ruler's own unit tests add patterns.
 * @default quoted true
 */
export function wildcardComplexity(
  patterns: readonly string[],
  limit = MAX_WILDCARD_COMPLEXITY,
  options: { readonly quoted?: boolean } = {},
): number {
  if (patterns.length === 0) return 0;
  const { states, alphabet } = buildMachine([...new Set(patterns)], options.quoted ?? true);
  const bytes = [OTHER, ...alphabet];
  const weightOf = (id: number) => (states[id] as State).weight.size;
  const seen = new Set<string>();
  const pending: number[][] = [[0]];
  let maximum = 0;
  while (pending.length > 0) {
    const live = pending.pop() as number[];
    for (const byte of bytes) {
      const next = new Set<number>();
      for (const id of live) {
        const state = states[id] as State;
        for (const n of state.any) next.add(n);
        for (const n of state.literal.get(byte) ?? []) next.add(n);
      }
      if (next.size === 0) continue;
      let complexity = 0;
      for (const id of next) {
        complexity += weightOf(id);
        for (const star of (states[id] as State).any) if (!next.has(star)) complexity += weightOf(star);
      }
      if (complexity > limit) return complexity;
      maximum = Math.max(maximum, complexity);
      const key = [...next].sort((a, b) => a - b).join(",");
      if (!seen.has(key)) {
        if (seen.size >= MAX_STATE_SETS) return limit + 1;
        seen.add(key);
        pending.push([...next]);
      }
    }
  }
  return maximum;
}

/** A field of one `$or` branch: its path, its filter list as written, and its wildcard values. */
export interface ComplexityField {
  readonly path: string;
  /** The field's filter list as JSON: equal lists lead to the same next state. */
  readonly identity: string;
  readonly wildcards: readonly string[];
}

/**
 * The wildcard values of each byte machine of a rule, as event-ruler lays a rule out: a branch's
 * fields in path order, each field's machine shared by the branches that reach it through the
 * same earlier fields with the same filters.
 */
export function wildcardMachines(branches: readonly (readonly ComplexityField[])[]): string[][] {
  const machines = new Map<string, Set<string>>();
  for (const branch of branches) {
    let before = "";
    for (const field of [...branch].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
      const key = `${before}\u0000${field.path}`;
      const machine = machines.get(key) ?? new Set<string>();
      machines.set(key, machine);
      for (const wildcard of field.wildcards) machine.add(wildcard);
      before = `${key}\u0000${field.identity}`;
    }
  }
  return [...machines.values()].filter((m) => m.size > 0).map((m) => [...m]);
}
