import { describe, expect, it } from "vitest";
import type { Cart } from "#schemas/cart.ts";
import {
  applyCartChange,
  applyPetChange,
  applyStoredEventChange,
  cartContribution,
} from "../../../functions/store-stats/stats.ts";

const policy = { retentionSeconds: 7 * 24 * 3600, now: new Date("2025-12-01T00:00:00.000Z") };
const changedAt = "2025-11-30T16:05:12.000Z";

describe("store-stats", () => {
  it("moves a pet between types when it is updated and drops it when removed", () => {
    // Arrange
    let stats = applyPetChange(undefined, { id: "1", sequenceNumber: "10", changedAt, value: "dog" }, policy);
    stats = applyPetChange(stats, { id: "2", sequenceNumber: "20", changedAt, value: "dog" }, policy);

    // Act
    const updated = applyPetChange(stats, { id: "1", sequenceNumber: "11", changedAt, value: "cat" }, policy);
    const removed = applyPetChange(
      updated,
      { id: "2", sequenceNumber: "21", changedAt, value: undefined },
      policy,
    );

    // Assert
    expect(updated).toMatchObject({ petCount: 2, byType: { dog: 1, cat: 1 } });
    expect(removed).toMatchObject({ petCount: 1, byType: { cat: 1 } });
  });

  it("ignores a stale pet update that arrives after a newer one", () => {
    // Arrange
    const stats = applyPetChange(
      undefined,
      { id: "1", sequenceNumber: "100000000000000000000", changedAt, value: "cat" },
      policy,
    );

    // Act
    const stale = applyPetChange(
      stats,
      { id: "1", sequenceNumber: "99999999999999999999", changedAt, value: "dog" },
      policy,
    );

    // Assert
    expect(stale).toBeUndefined();
  });

  it("values a cart exactly from its lines and does not count an empty cart as open", () => {
    // Arrange
    const line = { author: "A", title: "T", addedAt: "2025-11-30T16:05:12.923Z" };
    const cart: Cart = {
      userId: "u1",
      cartItems: [
        { ...line, bookId: "b1", price: "0.1", quantity: 3 },
        { ...line, bookId: "b2", price: "19.99", quantity: 1 },
      ],
      totalItems: 4,
      totalPrice: "20.29",
      lastUpdated: "2025-11-30T16:05:12.923Z",
    };

    // Act
    const open = applyCartChange(
      undefined,
      { id: "u1", sequenceNumber: "1", changedAt, value: cartContribution(cart) },
      policy,
    );
    const emptied = applyCartChange(
      open,
      { id: "u1", sequenceNumber: "2", changedAt, value: cartContribution({ ...cart, cartItems: [] }) },
      policy,
    );

    // Assert
    expect(open).toMatchObject({ openCarts: 1, totalItems: 4, totalValue: "20.29" });
    expect(emptied).toMatchObject({ openCarts: 0, totalItems: 0, totalValue: "0" });
  });

  it("counts a user's stored events by their latest status", () => {
    // Arrange
    let stats = applyStoredEventChange(
      "u1",
      undefined,
      { id: "t1#e1", sequenceNumber: "1", changedAt, value: "pending" },
      policy,
    );
    stats = applyStoredEventChange(
      "u1",
      stats,
      { id: "t2#e2", sequenceNumber: "2", changedAt, value: "pending" },
      policy,
    );

    // Act
    stats = applyStoredEventChange(
      "u1",
      stats,
      { id: "t1#e1", sequenceNumber: "3", changedAt, value: "delivered" },
      policy,
    );

    // Assert
    expect(stats).toMatchObject({ eventCount: 2, byStatus: { pending: 1, delivered: 1 } });
  });
});
