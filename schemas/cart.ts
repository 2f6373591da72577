import * as z from "zod";
import {
  EpochSecondsSchema,
  IsoTimestampSchema,
  KeyStringSchema,
  NonNegativeDecimalSchema,
  NonNegativeIntegerSchema,
} from "./common.ts";

/** One line of a cart (seed 004). */
export const CartItemSchema = z.object({
  bookId: KeyStringSchema,
  title: z.string().min(1).max(300),
  author: z.string().min(1).max(200),
  price: NonNegativeDecimalSchema,
  quantity: NonNegativeIntegerSchema.pipe(z.number().min(1).max(999)),
  addedAt: IsoTimestampSchema,
});
export type CartItem = z.infer<typeof CartItemSchema>;

/** cloudshelf-shopping-cart: one cart per `userId`. */
export const CartSchema = z.object({
  userId: KeyStringSchema,
  cartItems: z.array(CartItemSchema),
  totalItems: NonNegativeIntegerSchema,
  totalPrice: NonNegativeDecimalSchema,
  lastUpdated: IsoTimestampSchema,
  ttl: EpochSecondsSchema.optional(),
});
export type Cart = z.infer<typeof CartSchema>;
export const CartKeySchema = CartSchema.pick({ userId: true });

/** Carts left alone expire after 30 days. */
export const CART_TTL_SECONDS = 30 * 24 * 60 * 60;

/** A cart line as the table may hold it: seed 004's own example line has no `author`. */
export const StoredCartItemSchema = CartItemSchema.extend({ author: CartItemSchema.shape.author.optional() });
export type StoredCartItem = z.infer<typeof StoredCartItemSchema>;

/**
 * A cart as the table may hold it, which is what the API reads through. Besides lines without an
 * author, a cart put around the API (seed 004 tests with `aws dynamodb put-item` and
 * `{"userId": ..., "cartItems": []}`) may lack the totals, `lastUpdated`, even `cartItems`, and
 * has no `version`, the counter the API's conditional writes check and bump. The API writes full
 * {@link CartSchema} items.
 */
export const StoredCartSchema = CartSchema.extend({
  cartItems: z.array(StoredCartItemSchema).default([]),
  totalItems: CartSchema.shape.totalItems.optional(),
  totalPrice: CartSchema.shape.totalPrice.optional(),
  lastUpdated: CartSchema.shape.lastUpdated.optional(),
  version: NonNegativeIntegerSchema.optional(),
  /**
   * Digests of the latest Idempotency-Keys whose change the API applied to this cart, so a
   * request resumed after its first run stopped between the write and the answer is not applied
   * twice (the API keeps the last {@link APPLIED_REQUESTS_KEPT}).
   */
  appliedRequests: z.array(z.string()).optional(),
});
export type StoredCart = z.infer<typeof StoredCartSchema>;

/**
 * A cart as a CartUpdated event carries it: the stored item, whoever wrote it (the API or a
 * producer with the SDK, as seed 004 does), without the API's own concurrency counter.
 */
export const CartImageSchema = StoredCartSchema.omit({ version: true, appliedRequests: true });

/** How many applied Idempotency-Key digests a cart keeps (see `appliedRequests`). */
export const APPLIED_REQUESTS_KEPT = 16;
