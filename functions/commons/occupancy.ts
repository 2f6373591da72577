import type { CarParkStatus } from "#schemas/parking.ts";
import { compareDecimals } from "./decimal.ts";

/**
 * The one rule for a car park's occupancy (seed 000), shared by the API, which stores a reading,
 * and parking-totals, which keeps the totals: so a car park shows the same figures in both.
 */

/** Where the status colour changes, in percent full: amber from `amberAtPercent`, red from `redAtPercent`. */
export interface StatusThresholds {
  readonly amberAtPercent: number;
  readonly redAtPercent: number;
}

/** What a reading of `occupied` spaces out of `capacity` means for drivers. */
export interface Occupancy {
  readonly available: number;
  /**
   * Occupied share of capacity in percent, rounded half up to one decimal, as a canonical decimal
   * ("54.7", "70", "100"): the form DynamoDB stores a number in. Displays add the trailing ".0".
   */
  readonly percentFull: string;
  readonly status: CarParkStatus;
}

/**
 * Available spaces, percent full and status colour of a reading. The colour follows the rounded
 * percentage a driver sees, so "90.0" is red whatever the thresholds' unrounded neighbours are.
 *
 * A car park of capacity 0 has no space to offer: it is "100" percent full and red, so no driver is
 * sent to it. (Seed 000 divides by the capacity and leaves this case undefined.)
 *
 * @example
 * occupancyOf(300, 210, { amberAtPercent: 70, redAtPercent: 90 });
 * // { available: 90, percentFull: "70", status: "amber" }
 */
export function occupancyOf(capacity: number, occupied: number, thresholds: StatusThresholds): Occupancy {
  const percentFull = capacity <= 0 ? "100" : percentOf(occupied, capacity);
  return { available: capacity - occupied, percentFull, status: statusOf(percentFull, thresholds) };
}

/** `occupied / capacity × 100`, rounded half up to tenths, in integers so nothing is lost. */
function percentOf(occupied: number, capacity: number): string {
  const tenths = (BigInt(occupied) * 2000n + BigInt(capacity)) / (2n * BigInt(capacity));
  const whole = tenths / 10n;
  const fraction = tenths % 10n;
  return fraction === 0n ? whole.toString() : `${whole}.${fraction}`;
}

function statusOf(percentFull: string, thresholds: StatusThresholds): CarParkStatus {
  if (compareDecimals(percentFull, String(thresholds.redAtPercent)) >= 0) return "red";
  if (compareDecimals(percentFull, String(thresholds.amberAtPercent)) >= 0) return "amber";
  return "green";
}
