import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { readCartStats } from "#commons/aggregates.ts";
import { readSetAside } from "#commons/set-aside.ts";
import { auditAll, auditTableNames } from "#infra/audit/audit.ts";
import { pipeline } from "#infra/pipeline.ts";
import { runtimeWrittenAround } from "../helpers/runtime.ts";

const t = (name: keyof typeof pipeline.tables) => pipeline.tables[name]!.tableName;
const S = (value: string): AttributeValue => ({ S: value });
const N = (value: string | number): AttributeValue => ({ N: String(value) });

/**
 * The test's own exact arithmetic (not ripple's): a decimal as a BigInt count of 10^-scale, with
 * exponents read by moving the point.
 */
function toScaled(text: string, scale: number): bigint {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (match === null) throw new Error(`not a number: ${text}`);
  const [, sign, whole = "", fraction = "", exponent = "0"] = match;
  const shift = scale + Number(exponent) - fraction.length;
  let units = BigInt(`${whole}${fraction}`);
  if (shift >= 0) units *= 10n ** BigInt(shift);
  else if (units % 10n ** BigInt(-shift) !== 0n) throw new Error(`${text} needs a larger scale`);
  else units /= 10n ** BigInt(-shift);
  return sign === "-" ? -units : units;
}
const SCALE = 40;
function ledgerText(units: bigint): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(SCALE + 1, "0");
  const whole = digits.slice(0, -SCALE);
  const fraction = digits.slice(-SCALE).replace(/0+$/, "");
  return `${negative && units !== 0n ? "-" : ""}${whole}${fraction === "" ? "" : `.${fraction}`}`;
}

const THIRTY_EIGHT = "1234567890123456789012345678.0123456789";
const BIG_PET_PRICE = "12345678901234567890123456789012345678";

/** Cart lines written around the API, as the ledger keeps them: price as written, quantity. */
const carts: Record<string, readonly (readonly [string, number])[]> = {
  "exact-long": [
    ["0.1234567890123456789", 1],
    ["1", 1],
  ],
  "exact-exponent": [["1E-7", 3]],
  "exact-38-digits": [[THIRTY_EIGHT, 999]],
  "exact-negative-zero": [["-0", 2]],
};

function cartItem(userId: string, lines: readonly (readonly [string, number])[]) {
  return {
    userId: S(userId),
    cartItems: {
      L: lines.map(([price, quantity], i) => ({
        M: {
          bookId: S(`book-${i}`),
          title: S(`Book ${i}`),
          author: S("Author"),
          price: N(price),
          quantity: N(quantity),
          addedAt: S("2025-12-01T10:00:00.000Z"),
        },
      })),
    },
  };
}

/**
 * Every number DynamoDB accepts, written around the API with the SDK: 38 significant digits,
 * exponents, negative zero. Each must travel stream record → event → consumer → aggregate → API
 * → audit digit for digit, checked against the test's own arithmetic.
 */
describe("exact decimals written around the API", () => {
  const runtime = runtimeWrittenAround({}, async ({ put }) => {
    // Act (shared by the assertions below)
    for (const [userId, lines] of Object.entries(carts)) await put(t("carts"), cartItem(userId, lines));
    await put(t("pets"), { id: N(950), name: S("Precise"), type: S("axolotl"), price: N(BIG_PET_PRICE) });
    await put(t("pets"), { id: N(951), name: S("Tiny"), type: S("ant"), price: N("1E-7") });
    await put(t("pets"), { id: N(952), name: S("Free"), type: S("cat"), price: N("-0") });
    await put(t("parkingData"), {
      carParkId: S("CP-EXACT"),
      name: S("Exact"),
      capacity: N(300),
      occupied: N(10),
      available: N(290),
      percentFull: N("3.3"),
      status: S("green"),
      hourlyRate: N("1E-7"),
      lastUpdated: S("2025-12-01T10:00:00.000Z"),
    });
  });

  const get = async (path: string) => {
    const response = await fetch(`${runtime.endpoints.api}${path}`, {
      headers: { authorization: `Bearer ${runtime.apiToken}` },
    });
    return { status: response.status, text: await response.text() };
  };

  it("keeps each cart's value and the open-cart total equal to the ledger's sums", async () => {
    // Arrange
    const ledger = Object.fromEntries(
      Object.entries(carts).map(([userId, lines]) => [
        userId,
        lines.reduce((sum, [price, quantity]) => sum + toScaled(price, SCALE) * BigInt(quantity), 0n),
      ]),
    );
    const total = Object.values(ledger).reduce((sum, value) => sum + value, 0n);

    // Act
    const stats = await readCartStats(runtime.dynamodb, t("aggregates"));

    // Assert
    for (const [userId, value] of Object.entries(ledger)) {
      expect(stats.carts[userId]?.value).toBe(ledgerText(value));
    }
    expect(stats.carts["exact-long"]?.value).toBe("1.1234567890123456789");
    expect(stats.carts["exact-exponent"]?.value).toBe("0.0000003");
    expect(stats.totalValue).toBe(ledgerText(total));
  });

  it("answers the API with every digit: a 38-digit price, 1E-7 and negative zero", async () => {
    // Act
    const big = await get("/pets/950");
    const tiny = await get("/pets/951");
    const zero = await get("/pets/952");
    const cart = await get("/carts/exact-38-digits");
    const parks = await get("/car-parks");

    // Assert
    expect(big.text).toContain(`"price":${BIG_PET_PRICE}`);
    expect(tiny.text).toContain(`"price":0.0000001`);
    expect(zero.text).toContain(`"price":0,`);
    expect(cart.text).toContain(`"totalPrice":${ledgerText(toScaled(THIRTY_EIGHT, SCALE) * 999n)}`);
    expect(parks.text).toContain(`"hourlyRate":"£0.0000001"`);
  });

  it("refuses an API change whose cart total a DynamoDB number cannot hold, naming it", async () => {
    // Act
    const response = await fetch(`${runtime.endpoints.api}/carts/exact-38-digits/items/book-0`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${runtime.apiToken}`, "content-type": "application/json" },
      body: JSON.stringify({ quantity: 998 }),
    });
    const body = (await response.json()) as { error: { message: string } };

    // Assert
    expect(response.status).toBe(409);
    expect(body.error.message).toContain("at most 38 significant digits");
  });

  it("sets nothing aside and leaves the audit, with its own arithmetic, without a difference", async () => {
    // Act
    const setAside = await readSetAside(runtime.dynamodb, t("setAside"));
    const differences = await auditAll(runtime.dynamodb, auditTableNames(pipeline, {}));

    // Assert
    expect(setAside).toEqual({ items: [], unreadable: [] });
    expect(differences).toEqual([]);
  });
});
