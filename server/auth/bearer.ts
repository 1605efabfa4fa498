/**
 * Bearer-key checks in constant time, shared by the API keys and the admin key. Both sides are hashed
 * before `timingSafeEqual`, so lengths are equal and the comparison leaks neither content nor length;
 * every configured key is compared, so the time does not tell which one matched either.
 */
import {createHash, timingSafeEqual} from "node:crypto";

const digest = (text: string): Buffer => createHash("sha256").update(text).digest();

/** The key of an `Authorization: Bearer <key>` header, or null. */
export function bearerKeyOf(authorization: string | undefined): string | null {
  const match = /^Bearer (.+)$/i.exec(authorization ?? "");
  return match === null ? null : match[1]!;
}

/** True when the header carries one of `keys`. */
export function isBearerKeyValid(authorization: string | undefined, keys: readonly string[]): boolean {
  const presentedKey = bearerKeyOf(authorization);
  const presented = digest(presentedKey ?? "");
  let isValid = false;
  for (const key of keys) isValid = timingSafeEqual(presented, digest(key)) || isValid;
  return isValid && presentedKey !== null;
}
