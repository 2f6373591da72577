import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "#infra/local/runtime.ts";
import { PROJECT_ROOT } from "#infra/model.ts";
import { requestApi, startTestRuntime } from "../../helpers/runtime.ts";

/** Debian's Chromium (`.ci/run` installs it); playwright-core downloads no browser. */
const CHROMIUM = {
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
};
/**
 * Where the screenshots go: `.scratch/screenshots` (ignored), so a test run leaves the checkout
 * as it was; `RIPPLE_SCREENSHOTS_DIR=docs/screenshots` refreshes the README's.
 */
const SCREENSHOTS = resolve(PROJECT_ROOT, process.env.RIPPLE_SCREENSHOTS_DIR ?? ".scratch/screenshots");

describe("the local dashboard in a browser", () => {
  let runtime: Runtime;
  let browser: Browser;
  let page: Page;
  const call = (method: string, path: string, body?: unknown) => requestApi(runtime, method, path, body);
  const alarmState = (name: string) =>
    page.locator(`#alarms [data-name="${name}"]`).getAttribute("data-state");

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    runtime = await startTestRuntime({ alarmPeriodSeconds: 2 });
    browser = await chromium.launch(CHROMIUM);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
  });

  it("holds no token: it asks for one, says so in red when it is wrong, and opens with the right one", async () => {
    // Arrange
    const html = await (await fetch(runtime.endpoints.dashboard)).text();
    await page.goto(runtime.endpoints.dashboard);

    // Act
    await page.fill("#token", "not-the-token");
    await page.click("#token-form button");
    // The page asks the runtime before it says anything: wait for its answer, not for the click.
    const refused = page.locator("#gate-error");
    await refused.filter({ hasText: /\S/ }).waitFor();
    const refusal = await refused.textContent();
    await page.fill("#token", runtime.apiToken);
    await page.click("#token-form button");

    // Assert
    expect(html).not.toContain(runtime.apiToken);
    expect(refusal).toBe("The token was refused: give the one npm start printed.");
    await page.locator("#app").waitFor({ state: "visible" });
    await expect.poll(() => page.locator("#alarms .alarm").count()).toBe(runtime.monitoring.alarms().length);
  });

  it("opens from the link npm start prints and takes the token out of the address bar", async () => {
    // Arrange
    const fromLink = await browser.newPage({ viewport: { width: 1280, height: 900 } });

    // Act
    await fromLink.goto(`${runtime.endpoints.dashboard}#token=${encodeURIComponent(runtime.apiToken)}`);
    await fromLink.locator("#app").waitFor({ state: "visible" });

    // Assert
    expect(fromLink.url()).toBe(runtime.endpoints.dashboard);
    expect(await fromLink.locator("#gate").isHidden()).toBe(true);
    await fromLink.close();
  });

  it("shows every alarm by its local name and every widget title of the CloudWatch dashboard", async () => {
    // Act
    const names = await page
      .locator("#alarms .alarm")
      .evaluateAll((nodes) => nodes.map((n) => n.getAttribute("data-name")));
    const titles = await page.locator("#widgets section h2").allTextContents();

    // Assert
    expect(names.sort()).toEqual(
      runtime.monitoring
        .alarms()
        .map((a) => a.name)
        .sort(),
    );
    expect(names).toContain("local-ripple-WriteLatency-parkingData");
    const graphs = runtime.monitoring
      .view()
      .rows.flat()
      .filter((w) => w.type !== "text");
    expect(titles).toEqual(graphs.map((w) => w.title));
  });

  it("writes a car park reading with the simulate button and charts the events going through", async () => {
    // Act
    await page.click("#simulate");
    await expect.poll(() => page.locator("#message").textContent(), { timeout: 30_000 }).not.toBe("");
    await runtime.settled();

    // Assert
    await expect.poll(() => page.locator("#simulate").textContent()).toBe("Simulate sensor update");
    expect(await page.locator("#car-parks tbody tr").count()).toBeGreaterThan(0);
    const rules = page.locator('#widgets section:has(h2:text-is("Rule invocations")) .legend');
    await expect.poll(() => rules.textContent(), { timeout: 30_000 }).toMatch(/ripple-parking-totals: [1-9]/);
    await expect.poll(() => page.locator("#widgets canvas").count()).toBeGreaterThan(5);
    await page.screenshot({ path: join(SCREENSHOTS, "dashboard.png"), fullPage: true });
  });

  it("shows a cart written through the API, and the store statistics it changes", async () => {
    // Arrange
    const book = {
      bookId: "B-42",
      title: "Streams",
      author: "A. Writer",
      price: "999999.99",
      quantity: 3,
    };
    expect((await call("POST", "/carts/page-user/items", book)).status).toBe(200);
    await runtime.settled();

    // Act
    await page.fill("#cart-user", "page-user");
    await page.click("#cart-form button");

    // Assert
    await expect.poll(() => page.locator("#cart-total").textContent()).toBe("3 item(s), total 2999999.97");
    await expect
      .poll(() => page.locator("#store-stats").textContent(), { timeout: 30_000 })
      .toContain("Value in carts2999999.97");
  });

  it("turns an alarm red when a consumer fails, redrives its dead letters from the page, and the alarm returns to OK", async () => {
    // Arrange
    const name = "local-ripple-DeadLetters-parking-totals";
    expect((await call("PUT", "/local/faults", { consumerError: { "parking-totals": 1 } })).status).toBe(200);

    // Act
    await page.click("#simulate");
    await runtime.settled();
    await expect.poll(() => alarmState(name), { timeout: 30_000 }).toBe("ALARM");
    // Browser-side code as text: the tests are type-checked without the DOM's types.
    const red = await page.evaluate<string>(
      `getComputedStyle(document.querySelector('#alarms [data-name="${name}"]')).borderLeftColor`,
    );
    // The alarms and the set-aside list head the page (an earlier test left it scrolled down).
    await page.evaluate("window.scrollTo(0, 0)");
    await page.screenshot({ path: join(SCREENSHOTS, "dashboard-alarm.png") });
    expect((await call("DELETE", "/local/faults")).status).toBe(200);
    const row = page.locator("#setaside li").filter({ hasText: "parking-totals: DeadLetter" }).first();
    const id = await row.getAttribute("data-id");
    await row.locator("button").click();
    await expect.poll(() => page.locator(`#setaside li[data-id="${id}"]`).count()).toBe(0);
    await page.click("#redrive-all");
    await runtime.settled();

    // Assert
    expect(red).toBe("rgb(209, 50, 18)");
    expect(await page.locator("#redrive-message").getAttribute("class")).toBe("");
    await expect.poll(() => page.locator("#setaside li").count(), { timeout: 30_000 }).toBe(0);
    await expect.poll(() => alarmState(name), { timeout: 30_000 }).toBe("OK");
  });

  it("reads at 420 px without sideways scrolling, and does not shift while numbers update", async () => {
    // Arrange
    await page.setViewportSize({ width: 420, height: 900 });
    await page.reload();
    await page.locator("#app").waitFor({ state: "visible" });
    await expect.poll(() => page.locator("#widgets canvas").count(), { timeout: 30_000 }).toBeGreaterThan(5);
    // Loaded: the page's height has stopped changing (panels fetched after sign-in have come in),
    // so what is measured next is what updating numbers do, not the first load.
    let heights: number[] = [];
    await expect
      .poll(
        async () => {
          heights = [...heights, await page.evaluate<number>("document.body.scrollHeight")].slice(-4);
          return heights.length === 4 && new Set(heights).size === 1;
        },
        { timeout: 60_000, interval: 500 },
      )
      .toBe(true);

    // Act: layout shifts while three refreshes come in, with no input.
    const shift = await page.evaluate<number>(`new Promise((resolve) => {
      let total = 0;
      new PerformanceObserver((list) => { for (const entry of list.getEntries()) total += entry.value; })
        .observe({ type: "layout-shift" });
      setTimeout(() => resolve(total), 6500);
    })`);
    const width = await page.evaluate<number>("document.documentElement.scrollWidth");
    await page.evaluate("window.scrollTo(0, 0)");
    await page.screenshot({ path: join(SCREENSHOTS, "dashboard-420.png") });

    // Assert
    expect(width).toBeLessThanOrEqual(420);
    expect(shift).toBeLessThan(0.05);
  });
});
