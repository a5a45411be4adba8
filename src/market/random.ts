/**
 * Counter-based randomness: every random number is a hash of where it is used (seed, ticker, time slot, trade
 * number...), never the state of a generator. That is what makes trade n of instance i, and the price of a ticker
 * at an instant, pure functions that any replica computes alike without talking to the others.
 */

/** MurmurHash3's 32-bit finaliser: a cheap bijection with full avalanche. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash of two 32-bit integers. */
export function hash2(a: number, b: number): number {
  return fmix32(fmix32(a) ^ Math.imul(b | 0, 0xcc9e2d51) ^ 0x9e3779b9);
}

/** Hash of three 32-bit integers. */
export function hash3(a: number, b: number, c: number): number {
  return hash2(hash2(a, b), c);
}

/** Hash of a non-negative integer up to 2^53 (trade numbers, epoch milliseconds) into a 32-bit key. */
export function hashSafeInt(key: number, n: number): number {
  return hash3(key, n >>> 0, Math.floor(n / 4_294_967_296));
}

/** A 32-bit hash as a uniform number in [0, 1). */
export const unit = (h: number) => h / 4_294_967_296;

/**
 * An approximately standard normal number from one hash: the sum of its four bytes (Irwin-Hall), rescaled.
 * Bounded at about +-3.5, which keeps simulated prices sane without a separate clamp.
 */
export function gaussian(h: number): number {
  const sum = (h & 0xff) + ((h >>> 8) & 0xff) + ((h >>> 16) & 0xff) + (h >>> 24);
  return (sum - 510) / 147.8;
}

/**
 * A small generator for the draws of one trade (mulberry32), seeded by the trade's hash: successive draws are
 * independent, and the same trade always sees the same draws in the same order.
 */
export class Draws {
  private state: number;
  constructor(seed = 0) {
    this.state = seed | 0;
  }
  /** Starts the draws of another key (one instance serves every trade: no allocation per trade). */
  reset(seed: number): this {
    this.state = seed | 0;
    return this;
  }
  /** A fresh 32-bit hash. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform in [0, 1). */
  uniform(): number {
    return unit(this.next());
  }
  /** Integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.uniform() * n);
  }
}

/** FNV-1a of a string, mixed: stable across processes and versions. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix32(h);
}
