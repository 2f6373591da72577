import { setTimeout as sleep } from "node:timers/promises";
import { DeleteItemCommand, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import * as z from "zod";
import { addDecimals, multiplyDecimal } from "#commons/decimal.ts";
import { MAX_CART_QUANTITY, PathIdSchema, PriceSchema, QuantitySchema, STORAGE } from "#schemas/api.ts";
import {
  APPLIED_REQUESTS_KEPT,
  CART_TTL_SECONDS,
  CartItemSchema,
  CartSchema,
  type StoredCart,
  type StoredCartItem,
  StoredCartItemSchema,
  StoredCartSchema,
} from "#schemas/cart.ts";
import { exactDecimal } from "#schemas/common.ts";
import { isConditionFailed, num, toItem } from "../dynamo.ts";
import { ConflictError, NotFoundError, ValidationError } from "../errors.ts";
import { NO_KEY } from "../idempotency.ts";
import { exact } from "../json.ts";
import type { ApiDeps, Once } from "../route.ts";
import { defineRoute } from "../route.ts";

const TAG = "CloudShelf cart";
const MAX_LINES = 100;
const MAX_QUANTITY = MAX_CART_QUANTITY;
const MAX_ATTEMPTS = 40;

/** A cart as the API answers it; the totals are always those of its lines. */
interface CartState {
  readonly userId: string;
  readonly cartItems: readonly StoredCartItem[];
  readonly lastUpdated?: string | undefined;
  readonly ttl?: number | undefined;
}

function totalsOf(lines: readonly StoredCartItem[]) {
  return {
    totalItems: lines.reduce((sum, line) => sum + line.quantity, 0),
    totalPrice: addDecimals("0", ...lines.map((line) => multiplyDecimal(line.price, line.quantity))),
  };
}

function cartView(cart: CartState) {
  const totals = totalsOf(cart.cartItems);
  return {
    userId: cart.userId,
    cartItems: cart.cartItems.map((line) => ({ ...line, price: exact(line.price) })),
    totalItems: totals.totalItems,
    totalPrice: exact(totals.totalPrice),
    ...(cart.lastUpdated === undefined ? {} : { lastUpdated: cart.lastUpdated }),
    ...(cart.ttl === undefined ? {} : { ttl: cart.ttl }),
  };
}

/**
 * The user's cart, read through {@link StoredCartSchema} so a cart written around the API in the
 * seed's shape reads fine; one that breaks even that is answered 409 naming the bad field, never 500.
 */
async function readCart(deps: ApiDeps, userId: string): Promise<StoredCart | undefined> {
  const got = await deps.client.send(
    new GetItemCommand({
      TableName: deps.tables.carts,
      Key: { userId: { S: userId } },
      ConsistentRead: true,
    }),
  );
  if (got.Item === undefined) return undefined;
  const parsed = StoredCartSchema.safeParse(unmarshall(got.Item, { wrapNumbers: (text: string) => text }));
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new ConflictError(
    `the stored cart of ${userId} does not fit seed 004's cart (${["cart", ...issue.path.map(String)].join(".")}: ${issue.message}); correct the item or clear it with DELETE /carts/${userId}`,
    { cause: parsed.error },
  );
}

/**
 * Refuses a change whose cart total a DynamoDB number cannot hold (more than 38 significant
 * digits: lines written around the API with 38-digit prices), instead of storing it rounded.
 */
function requireStorableTotal(userId: string, totalPrice: string): void {
  const storable = exactDecimal(totalPrice);
  if (storable.ok) return;
  throw new ConflictError(
    `the cart of ${userId} would total ${totalPrice}, which a DynamoDB number cannot hold exactly (expected ${storable.reason}); correct the stored lines' prices or clear the cart with DELETE /carts/${userId}`,
  );
}

/**
 * Applies a change to a user's cart with optimistic concurrency: read the cart, compute the new
 * lines and their totals, write conditionally on the version read (or on there being none, for a
 * cart written without one); a lost race re-reads and tries again (with jittered backoff), so
 * totals always match the lines, whatever runs at the same time.
 */
async function changeCart(
  deps: ApiDeps,
  userId: string,
  change: (lines: readonly StoredCartItem[], cart: StoredCart | undefined, at: string) => StoredCartItem[],
  once: Once = NO_KEY,
): Promise<CartState> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const cart = await readCart(deps, userId);
    // The first run of this request changed the cart, then stopped before answering: a change
    // that adds is not applied twice. The cart remembers the requests that changed it last.
    const applied = cart?.appliedRequests ?? [];
    if (cart !== undefined && once.resumed && once.digest !== undefined && applied.includes(once.digest)) {
      return cart;
    }
    const now = deps.now();
    const at = now.toISOString();
    const lines = change(cart?.cartItems ?? [], cart, at);
    const next: CartState = {
      userId,
      cartItems: lines,
      lastUpdated: at,
      ttl: Math.floor(now.getTime() / 1000) + CART_TTL_SECONDS,
    };
    const totals = totalsOf(lines);
    requireStorableTotal(userId, totals.totalPrice);
    const version = cart?.version;
    try {
      await deps.client.send(
        new PutItemCommand({
          TableName: deps.tables.carts,
          Item: toItem({
            ...next,
            cartItems: lines.map((line) => ({ ...line, price: num(line.price) })),
            totalItems: totals.totalItems,
            totalPrice: num(totals.totalPrice),
            version: (version ?? 0) + 1,
            ...appliedAfter(applied, once.digest),
          }),
          ...(cart === undefined
            ? { ConditionExpression: "attribute_not_exists(userId)" }
            : version === undefined
              ? { ConditionExpression: "attribute_exists(userId) AND attribute_not_exists(version)" }
              : {
                  ConditionExpression: "version = :version",
                  ExpressionAttributeValues: { ":version": { N: String(version) } },
                }),
        }),
      );
      return next;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      await sleep(Math.random() * Math.min(50, 2 ** attempt));
    }
  }
  throw new ConflictError(`cart of ${userId} is changing too often to update; retry the request`, {
    headers: { "retry-after": "1" },
  });
}

/** The applied-request digests a cart keeps after a change by the request of `digest`. */
function appliedAfter(
  applied: readonly string[],
  digest: string | undefined,
): { appliedRequests?: string[] } {
  const kept = digest === undefined ? [...applied] : [...applied, digest].slice(-APPLIED_REQUESTS_KEPT);
  return kept.length === 0 ? {} : { appliedRequests: kept };
}

function requireLine(
  lines: readonly StoredCartItem[],
  cart: StoredCart | undefined,
  userId: string,
  bookId: string,
) {
  if (cart === undefined) throw new NotFoundError(`user ${userId} has no cart`);
  const index = lines.findIndex((line) => line.bookId === bookId);
  if (index === -1) throw new NotFoundError(`cart of ${userId} holds no book ${bookId}`);
  return index;
}

const UserParamsSchema = z.strictObject({ userId: PathIdSchema });
const LineParamsSchema = z.strictObject({ userId: PathIdSchema, bookId: PathIdSchema });
const CartOutSchema = CartSchema.extend({
  cartItems: z.array(StoredCartItemSchema),
  lastUpdated: CartSchema.shape.lastUpdated.optional(),
  storage: z.literal(STORAGE),
});
const cartResponse = (cart: CartState) => ({ status: 200, body: { ...cartView(cart), storage: STORAGE } });

/** CloudShelf (seed 004): one cart per user, totals kept exact under concurrent changes. */
export const cartRoutes = [
  defineRoute({
    method: "GET",
    path: "/carts/{userId}",
    operationId: "getCart",
    tag: TAG,
    summary: "A user's cart",
    description:
      "A user without a cart has an empty one, as seed 004's get_cart answers an empty item: no lines, totals 0, no lastUpdated. totalItems and totalPrice are those of the lines.",
    params: UserParamsSchema,
    responses: { 200: { description: "The cart", schema: CartOutSchema } },
    async handle({ deps, params }) {
      const cart = await readCart(deps, params.userId);
      return cartResponse(cart ?? { userId: params.userId, cartItems: [] });
    },
  }),
  defineRoute({
    method: "POST",
    path: "/carts/{userId}/items",
    operationId: "addCartItem",
    tag: TAG,
    summary: "Add a book to a cart (adds to the quantity when it is there already)",
    description: `price is an exact decimal (0–1,000,000, at most 2 decimals); a line holds at most ${MAX_QUANTITY}, a cart at most ${MAX_LINES} lines. Adding a book that is in the cart already adds to its quantity at the same price; another price is refused with 409 (remove the line and add it again to reprice it).`,
    params: UserParamsSchema,
    body: CartItemSchema.pick({ title: true, author: true })
      .extend({ bookId: PathIdSchema, price: PriceSchema, quantity: QuantitySchema })
      .strict(),
    responses: { 200: { description: "The cart after the change", schema: CartOutSchema } },
    async handle({ deps, params, body, once }) {
      const cart = await changeCart(
        deps,
        params.userId,
        (lines, _cart, at) => {
          const index = lines.findIndex((line) => line.bookId === body.bookId);
          if (index === -1) {
            if (lines.length >= MAX_LINES) {
              throw new ValidationError(
                `body.bookId (given ${body.bookId}) would be line ${MAX_LINES + 1} of the cart of ${params.userId}; a cart holds at most ${MAX_LINES} books, remove one first`,
                [
                  {
                    path: "body.bookId",
                    value: body.bookId,
                    expected: `a book already in the cart (it is full)`,
                  },
                ],
              );
            }
            return [
              ...lines,
              {
                bookId: body.bookId,
                title: body.title,
                author: body.author,
                price: body.price,
                quantity: body.quantity,
                addedAt: at,
              },
            ];
          }
          const line = lines[index]!;
          const quantity = line.quantity + body.quantity;
          if (quantity > MAX_QUANTITY) {
            throw new ValidationError(
              `body.quantity (given ${body.quantity}) would bring book ${body.bookId} to ${quantity}; a line holds at most ${MAX_QUANTITY}`,
              [
                {
                  path: "body.quantity",
                  value: body.quantity,
                  expected: `at most ${MAX_QUANTITY - line.quantity}`,
                },
              ],
            );
          }
          if (line.price !== body.price) {
            // Adding more of a book never reprices the copies already in the cart behind the caller's back.
            throw new ConflictError(
              `book ${body.bookId} is in the cart of ${params.userId} at ${line.price}, not ${body.price}: adding at another price would reprice the whole line; send price ${line.price} to add more, or DELETE /carts/${params.userId}/items/${body.bookId} and add it again at ${body.price}`,
            );
          }
          const updated = [...lines];
          updated[index] = { ...line, title: body.title, author: body.author, price: body.price, quantity };
          return updated;
        },
        once,
      );
      return cartResponse(cart);
    },
  }),
  defineRoute({
    method: "PATCH",
    path: "/carts/{userId}/items/{bookId}",
    operationId: "setCartItemQuantity",
    tag: TAG,
    summary: "Set the quantity of a book in a cart",
    params: LineParamsSchema,
    body: z.strictObject({ quantity: QuantitySchema }),
    responses: { 200: { description: "The cart after the change", schema: CartOutSchema } },
    async handle({ deps, params, body }) {
      const cart = await changeCart(deps, params.userId, (lines, stored) => {
        const index = requireLine(lines, stored, params.userId, params.bookId);
        const updated = [...lines];
        updated[index] = { ...lines[index]!, quantity: body.quantity };
        return updated;
      });
      return cartResponse(cart);
    },
  }),
  defineRoute({
    method: "DELETE",
    path: "/carts/{userId}/items/{bookId}",
    operationId: "removeCartItem",
    tag: TAG,
    summary: "Remove a book from a cart",
    params: LineParamsSchema,
    responses: { 200: { description: "The cart after the change", schema: CartOutSchema } },
    async handle({ deps, params }) {
      const cart = await changeCart(deps, params.userId, (lines, stored) => {
        const index = requireLine(lines, stored, params.userId, params.bookId);
        return lines.filter((_, i) => i !== index);
      });
      return cartResponse(cart);
    },
  }),
  defineRoute({
    method: "DELETE",
    path: "/carts/{userId}",
    operationId: "clearCart",
    tag: TAG,
    summary: "Clear (delete) a user's cart",
    description:
      "Idempotent: a user without a cart (never had one, or cleared already) reads an empty cart, so clearing it again answers 204 too.",
    params: UserParamsSchema,
    responses: { 204: { description: "The cart is empty (it was deleted, or there was none)" } },
    async handle({ deps, params }) {
      await deps.client.send(
        new DeleteItemCommand({ TableName: deps.tables.carts, Key: { userId: { S: params.userId } } }),
      );
      return { status: 204, body: undefined };
    },
  }),
];
