import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { keptApiToken } from "#infra/local/api-token.ts";
import { ApiTokenFileError } from "#infra/local/errors.ts";

describe("keptApiToken", () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "ripple-token-unit-"));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes a new token to DIR/api-token, readable by its owner only, and reads it back next time", () => {
    // Act
    const first = keptApiToken(join(dir, "data"), {});
    const second = keptApiToken(join(dir, "data"), {});

    // Assert
    expect(first).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(second).toBe(first);
    expect(readFileSync(join(dir, "data", "api-token"), "utf8")).toBe(`${first}\n`);
    expect(statSync(join(dir, "data", "api-token")).mode & 0o777).toBe(0o600);
  });

  it.each([
    { description: "RIPPLE_API_TOKEN, with --data", dataDir: true, expected: "from-the-environment" },
    { description: "RIPPLE_API_TOKEN, without --data", dataDir: false, expected: "from-the-environment" },
  ])("prefers $description", ({ dataDir, expected }) => {
    // Act
    const token = keptApiToken(dataDir ? dir : undefined, { RIPPLE_API_TOKEN: "from-the-environment" });

    // Assert
    expect(token).toBe(expected);
  });

  it("leaves the token to the runtime (a new one per start) without --data", () => {
    // Act
    const token = keptApiToken(undefined, {});

    // Assert
    expect(token).toBeUndefined();
  });

  it.each([
    { description: "an empty file", content: "" },
    { description: "a token with a space", content: "two words and more of them" },
    { description: "a token too short to guess", content: "abc" },
  ])("refuses $description, naming the file and the fix", ({ content }) => {
    // Arrange
    writeFileSync(join(dir, "api-token"), content);

    // Act
    const read = () => keptApiToken(dir, {});

    // Assert
    expect(read).toThrow(ApiTokenFileError);
    expect(read).toThrow(
      `${join(dir, "api-token")} holds no usable API token (found ${content.length} characters; expected 16 to 512 printable characters without spaces); delete the file`,
    );
  });
});
