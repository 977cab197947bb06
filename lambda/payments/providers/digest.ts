/** Hex digests the gateways sign with (Bancard's MD5 tokens, PayU's MD5 / SHA-256 signatures), compared in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';

export const md5Hex = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');
export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** Constant-time comparison of a received hex digest with the expected one (case-insensitive). */
export function sameDigest(received: string, expected: string): boolean {
  const a = Buffer.from(received.toLowerCase(), 'utf8');
  const b = Buffer.from(expected.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
