import { z } from "zod";
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
