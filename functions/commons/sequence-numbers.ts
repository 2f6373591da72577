import { InvalidSequenceNumberError } from "./errors.ts";

/** Orders two DynamoDB stream sequence numbers (decimal strings up to 40 digits) as big integers. */
export function compareSequenceNumbers(a: string, b: string): -1 | 0 | 1 {
  for (const value of [a, b]) {
    if (!/^\d{1,40}$/.test(value)) {
      throw new InvalidSequenceNumberError(
        `expected a stream sequence number of 1 to 40 digits (given ${JSON.stringify(value)}); take it from the event's metadata.sequenceNumber`,
      );
    }
  }
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
