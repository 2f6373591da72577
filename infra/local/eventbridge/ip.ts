import { isIPv6 } from "node:net";
import { InvalidEventPatternError } from "./errors.ts";

/** An IP address as EventBridge compares it: its family and its value as one unsigned integer. */
export interface IpAddress {
  readonly bytes: 4 | 16;
  readonly value: bigint;
}

/** An inclusive range of addresses of one family, what a `cidr` filter compiles to. */
export interface IpRange {
  readonly bytes: 4 | 16;
  readonly low: bigint;
  readonly high: bigint;
}

// The shapes EventBridge's matcher treats as IP literals; anything else is an ordinary string.
const IPV4_SHAPE = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6_SHAPE = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;

/** True when the string has the shape of an IPv4 or IPv6 literal (valid or not). */
export function looksLikeIp(text: string): boolean {
  return IPV4_SHAPE.test(text) || IPV6_SHAPE.test(text);
}

/** Parses an IPv4 or IPv6 literal; undefined when it is none. */
export function parseIp(text: string): IpAddress | undefined {
  if (IPV4_SHAPE.test(text)) {
    const parts = text.split(".").map(Number);
    if (parts.some((p) => !(p >= 0 && p <= 255))) return undefined;
    let value = 0n;
    for (const part of parts) value = (value << 8n) | BigInt(part);
    return { bytes: 4, value };
  }
  if (IPV6_SHAPE.test(text) && isIPv6(text)) {
    const [head = "", tail] = text.split("::");
    const groups = (s: string) => (s === "" ? [] : s.split(":"));
    const left = groups(head);
    const right = tail === undefined ? [] : groups(tail);
    const missing = 8 - left.length - right.length;
    const all = [...left, ...Array.from({ length: tail === undefined ? 0 : missing }, () => "0"), ...right];
    if (all.length !== 8) return undefined;
    let value = 0n;
    for (const group of all) value = (value << 16n) | BigInt(Number.parseInt(group, 16));
    return { bytes: 16, value };
  }
  return undefined;
}

/**
 * Compiles a `cidr` filter value the way EventBridge does: the range runs from the address as
 * written up to the address with every host bit set; IPv4 masks must be below 32, IPv6 below 128.
 */
export function compileCidr(cidr: string): IpRange {
  const slashed = cidr.split("/");
  while (slashed.length > 1 && slashed[slashed.length - 1] === "") slashed.pop();
  if (slashed.length !== 2) throw new InvalidEventPatternError("Malformed CIDR, one '/' required");
  const [address = "", mask = ""] = slashed;
  if (!/^[+-]?\d+$/.test(mask)) {
    throw new InvalidEventPatternError("Malformed CIDR, mask bits must be an integer");
  }
  const maskBits = Number(mask);
  if (maskBits < 0) throw new InvalidEventPatternError("Malformed CIDR, mask bits must not be negative");
  if (!looksLikeIp(address)) throw new InvalidEventPatternError(`Nonstandard IP address: ${address}`);
  const ip = parseIp(address);
  if (ip === undefined) throw new InvalidEventPatternError(`Invalid IP address: ${address}`);
  if (ip.bytes === 4 && maskBits > 31) throw new InvalidEventPatternError("IPv4 mask bits must be < 32");
  if (ip.bytes === 16 && maskBits > 127) throw new InvalidEventPatternError("IPv6 mask bits must be < 128");
  const hostBits = BigInt(ip.bytes * 8 - maskBits);
  const hostMask = (1n << hostBits) - 1n;
  return { bytes: ip.bytes, low: ip.value, high: ip.value | hostMask };
}
