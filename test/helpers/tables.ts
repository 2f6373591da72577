import { expect, it } from "vitest";

/** One row of a table of examples: what a function is given, and what it must give back. */
export interface Example<Input, Output> {
  readonly description?: string;
  readonly input: Input;
  readonly expected: Output;
}

/**
 * One test per row of `examples`, named as `it.each` names it (`$description` stands for the row's
 * own): `fn` given the row's `input` gives back its `expected`, compared with `toStrictEqual`.
 *
 * @example
 * itReturns("$description", entrySize, [
 *   { description: "counts Time as 14 bytes", input: { Time: new Date(0) }, expected: 14 },
 * ]);
 */
export function itReturns<Input, Output>(
  name: string,
  fn: (input: Input) => Output,
  examples: readonly Example<NoInfer<Input>, NoInfer<Output>>[],
): void {
  it.each(examples)(name, ({ input, expected }) => {
    // Act
    const actual = fn(input);

    // Assert
    expect(actual).toStrictEqual(expected);
  });
}
