import { describe, expect, it } from "vitest";
import { BeyondTombstoneRetentionError } from "#commons/errors.ts";
import { isNewChange, type PositionState, recordChange } from "#commons/positions.ts";
import { applyStoredEventChange } from "../../../functions/store-stats/stats.ts";

const DAY_MS = 24 * 3600 * 1000;
const retentionSeconds = 7 * 24 * 3600;
const START = Date.parse("2025-12-01T00:00:00.000Z");
const at = (days: number) => new Date(START + days * DAY_MS).toISOString();
const policyAt = (days: number) => ({ retentionSeconds, now: new Date(START + days * DAY_MS) });

/** State after `id` was written at day 0 (sequence 10) and removed at `removedDay` (sequence 20). */
function removedAt(id: string, removedDay: number, nowDay: number): PositionState {
  const written = recordChange(
    undefined,
    { id, sequenceNumber: "10", changedAt: at(0), removed: false },
    policyAt(0),
  );
  return recordChange(
    written,
    { id, sequenceNumber: "20", changedAt: at(removedDay), removed: true },
    policyAt(nowDay),
  );
}

describe("positions", () => {
  it("keeps a removal's tombstone within the retention, so a stale change of that item is not new", () => {
    // Arrange
    const state = removedAt("a", 1, 6);

    // Act
    const stale = isNewChange(state, { id: "a", sequenceNumber: "15", changedAt: at(0.5), removed: false });

    // Assert
    expect(state).toEqual({ positions: { a: "20" }, removedAt: { a: at(1) } });
    expect(stale).toBe(false);
  });

  it("drops tombstones older than the retention and remembers the newest one dropped", () => {
    // Arrange
    let state = removedAt("a", 1, 1);
    state = recordChange(
      state,
      { id: "b", sequenceNumber: "30", changedAt: at(2), removed: true },
      policyAt(2),
    );

    // Act
    const later = recordChange(
      state,
      { id: "c", sequenceNumber: "40", changedAt: at(9.5), removed: false },
      policyAt(9.5),
    );

    // Assert
    expect(later).toEqual({ positions: { c: "40" }, forgottenBefore: at(2) });
  });

  it("ages tombstones on the changes' own timeline when records weeks old are replayed", () => {
    // Arrange: a removal at day 1 and a change at day 2, both applied a year later (a replay)
    const yearLater = 365;
    const state = removedAt("a", 1, yearLater);

    // Act
    const next = recordChange(
      state,
      { id: "b", sequenceNumber: "30", changedAt: at(2), removed: false },
      policyAt(yearLater),
    );
    const stale = isNewChange(next, { id: "a", sequenceNumber: "15", changedAt: at(0.5), removed: false });

    // Assert: the tombstone is still there, so the stale change is ignored rather than refused
    expect(next).toEqual({ positions: { a: "20", b: "30" }, removedAt: { a: at(1) } });
    expect(stale).toBe(false);
  });

  it.each([
    { description: "as old as the newest forgotten removal", changedDay: 2 },
    { description: "older than it", changedDay: 0.5 },
  ])("refuses a change of an unknown item $description, since it may be stale", ({ changedDay }) => {
    // Arrange
    const state: PositionState = { positions: {}, forgottenBefore: at(2) };

    // Act
    const act = () =>
      isNewChange(state, { id: "a", sequenceNumber: "15", changedAt: at(changedDay), removed: false });

    // Assert
    expect(act).toThrow(BeyondTombstoneRetentionError);
    expect(act).toThrow(/no newer than removals it has forgotten \(up to 2025-12-03T00:00:00.000Z\)/);
  });

  it("takes a change of an unknown item newer than every forgotten removal as new", () => {
    // Arrange
    const state: PositionState = { positions: {}, forgottenBefore: at(2) };

    // Act
    const fresh = isNewChange(state, { id: "a", sequenceNumber: "15", changedAt: at(2.001), removed: false });

    // Assert
    expect(fresh).toBe(true);
  });

  it("forgets the removal time of an item written again, so its live position is never dropped", () => {
    // Arrange
    const state = removedAt("a", 1, 1);

    // Act
    const rewritten = recordChange(
      state,
      { id: "a", sequenceNumber: "30", changedAt: at(2), removed: false },
      policyAt(20),
    );

    // Assert
    expect(rewritten).toEqual({ positions: { a: "30" } });
  });

  it("keeps a user's stored-event aggregate small however many events come and go", () => {
    // Arrange: 20 events a day for 45 days, each removed 20 days after it was created (a TTL).
    let stats: ReturnType<typeof applyStoredEventChange>;
    let seq = 100_000_000_000_000_000_000n;
    const perDay = 20;
    const lifetimeDays = 20;
    let largest = 0;

    // Act
    for (let day = 0; day < 45; day++) {
      for (let i = 0; i < perDay; i++) {
        const policy = policyAt(day + i / perDay);
        const changedAt = policy.now.toISOString();
        stats =
          applyStoredEventChange(
            "u1",
            stats,
            { id: `d${day}#${i}`, sequenceNumber: String(seq++), changedAt, value: "pending" },
            policy,
          ) ?? stats;
        if (day >= lifetimeDays) {
          stats =
            applyStoredEventChange(
              "u1",
              stats,
              {
                id: `d${day - lifetimeDays}#${i}`,
                sequenceNumber: String(seq++),
                changedAt,
                value: undefined,
              },
              policy,
            ) ?? stats;
        }
        largest = Math.max(largest, Object.keys(stats?.positions ?? {}).length);
      }
    }

    // Assert: the live events plus at most 7 days of tombstones.
    expect(stats?.eventCount).toBe(lifetimeDays * perDay);
    expect(largest).toBeLessThanOrEqual((lifetimeDays + 7) * perDay + 1);
    expect(Object.keys(stats?.removedAt ?? {}).length).toBeLessThanOrEqual(7 * perDay + 1);
  });
});
