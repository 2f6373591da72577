import type { DynamoDBRecord } from "aws-lambda";
import { type CompiledPattern, compilePattern, matches } from "../eventbridge/pattern.ts";
import { InvalidFilterCriteriaError } from "./errors.ts";

/**
 * Lambda `FilterCriteria` for a DynamoDB stream: patterns in EventBridge's pattern language applied
 * to each record as delivered, DynamoDB-typed values and all.
 *
 * So `{"dynamodb":{"NewImage":{"status":{"S":["OPEN"]}}}}` matches an OPEN item, and because an
 * `N` value is a string in the record, `{"numeric":[">",5]}` on `…{"N": …}` never matches (use a
 * string match or `prefix` instead). A record is delivered when any pattern matches; with no
 * patterns every record is. Records that match none are consumed without an invocation.
 */
export interface CompiledFilterCriteria {
  readonly patterns: readonly CompiledPattern[];
}

/** Validates and compiles `filterPatterns`; throws {@link InvalidFilterCriteriaError} naming the bad one. */
export function compileFilterCriteria(patterns: readonly unknown[]): CompiledFilterCriteria {
  return {
    patterns: patterns.map((pattern, i) => {
      try {
        return compilePattern(pattern);
      } catch (error) {
        throw new InvalidFilterCriteriaError(
          `filterPatterns[${i}] ${JSON.stringify(pattern)} is not a valid filter pattern: ${
            error instanceof Error ? error.message : String(error)
          }; write it in EventBridge's pattern language against the record as delivered, e.g. {"eventName":["INSERT"]} or {"dynamodb":{"NewImage":{"status":{"S":["OPEN"]}}}}`,
          { cause: error },
        );
      }
    }),
  };
}

/** True when the record is to be delivered: no patterns, or at least one matches. */
export function passesFilterCriteria(criteria: CompiledFilterCriteria, record: DynamoDBRecord): boolean {
  return criteria.patterns.length === 0 || criteria.patterns.some((p) => matches(p, record));
}
