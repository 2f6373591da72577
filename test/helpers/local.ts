import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { expect } from "vitest";

/** A DynamoDB string attribute value, for items written around the API: `S("alice")`. */
export const S = (value: string): AttributeValue => ({ S: value });

/** A DynamoDB number attribute value, its digits exactly as given: `N("12.345")`. */
export const N = (value: string): AttributeValue => ({ N: value });

/** What a user's entries came to, all on one day and in one category, as carbon-stats sums them. */
export interface OneDayCarbonStats {
  /** e.g. "2025-11-30" */
  readonly day: string;
  readonly category: string;
  /** Exact, as a decimal string: e.g. "12.345". */
  readonly totalKgCO2e: string;
  readonly entryCount: number;
  readonly longestStreakDays: number;
  /** The goals' progress items, as the consumer lists them. */
  readonly goals?: readonly AttributeValue[];
}

/**
 * The `stats` map the carbon-stats consumer writes onto a user whose entries all fall on one day,
 * as DynamoDB holds it (written at 16:00 UTC that day): for a test that writes it around the
 * pipeline and reads it through the API.
 *
 * @example
 * oneDayCarbonStats({ day: "2025-11-30", category: "food", totalKgCO2e: "7.125", entryCount: 2, longestStreakDays: 1 })
 */
export function oneDayCarbonStats(stats: OneDayCarbonStats): AttributeValue {
  const total = N(stats.totalKgCO2e);
  return {
    M: {
      totalKgCO2e: total,
      entryCount: N(String(stats.entryCount)),
      byCategory: { M: { [stats.category]: total } },
      byDay: { M: { [stats.day]: total } },
      byMonth: { M: { [stats.day.slice(0, 7)]: total } },
      currentStreakDays: N("1"),
      longestStreakDays: N(String(stats.longestStreakDays)),
      lastEntryDate: S(stats.day),
      ...(stats.goals === undefined ? {} : { goals: { L: [...stats.goals] } }),
      updatedAt: S(`${stats.day}T16:00:00.000Z`),
    },
  };
}

/** A user's profile as the API answers it: the given fields, a creation time, and where it is stored. */
export function answeredProfile(profile: {
  readonly userId: string;
  readonly name: string;
  readonly email?: string;
}) {
  return { ...profile, createdAt: expect.any(String), storage: "Amazon DynamoDB" };
}
