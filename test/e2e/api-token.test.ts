import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { freshEnv, type StartedRipple, startRipple } from "../helpers/npm-start.ts";

describe("npm start --data DIR keeps the API token", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "ripple-token-"));
  let running: StartedRipple | undefined;

  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  const carParks = (ripple: StartedRipple, token: string) =>
    fetch(`http://127.0.0.1:${ripple.ports.api}/car-parks`, {
      headers: { authorization: `Bearer ${token}` },
    });

  it("prints the first start's token again after a restart, and a request with it is answered", async () => {
    // Arrange
    running = await startRipple(["--data", dataDir], freshEnv());
    const first = running.token();
    const file = join(dataDir, "api-token");
    const kept = { text: readFileSync(file, "utf8"), mode: statSync(file).mode & 0o777 };
    expect(await running.stop()).toBe(0);

    // Act
    running = await startRipple(["--data", dataDir], freshEnv());
    const response = await carParks(running, first);

    // Assert
    expect(kept).toEqual({ text: `${first}\n`, mode: 0o600 });
    expect(running.token()).toBe(first);
    expect(response.status).toBe(200);
  }, 180_000);

  it("uses RIPPLE_API_TOKEN over the kept token, leaving the kept one in place", async () => {
    // Arrange
    const kept = readFileSync(join(dataDir, "api-token"), "utf8").trim();

    // Act
    running = await startRipple(
      ["--data", dataDir],
      freshEnv({ RIPPLE_API_TOKEN: "chosen-by-the-user-0001" }),
    );
    const withChosen = await carParks(running, "chosen-by-the-user-0001");
    const withKept = await carParks(running, kept);

    // Assert
    expect(running.token()).toBe("chosen-by-the-user-0001");
    expect(withChosen.status).toBe(200);
    expect(withKept.status).toBe(401);
    expect(readFileSync(join(dataDir, "api-token"), "utf8").trim()).toBe(kept);
  }, 180_000);
});
