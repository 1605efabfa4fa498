/**
 * GBNF for the decimal spellings of the whole numbers in a range, as llama.cpp's converter builds
 * them: split the range by digit count, then at the first digit where the two ends differ, branch
 * into "at the lower end", "strictly between" (any remaining digits) and "at the upper end". No
 * leading zeros, so each number has exactly one spelling.
 */
import {gbnfAlternatives, gbnfGroup, gbnfLiteral, gbnfRepeat, gbnfSequence} from "./gbnfText.ts";

const anyDigits = (count: number): string => gbnfRepeat("[0-9]", count, count);

function digitClass(from: number, to: number): string {
  return from === to ? gbnfLiteral(String(from)) : `[${from}-${to}]`;
}

/** Same-length decimal strings `low <= high`: every string of that length between them. */
function sameLength(low: string, high: string): string {
  if (low === high) return gbnfLiteral(low);
  let common = 0;
  while (low[common] === high[common]) common++;
  if (common > 0) return gbnfSequence([gbnfLiteral(low.slice(0, common)), gbnfGroup(sameLength(low.slice(common), high.slice(common)))]);
  const first = Number(low[0]);
  const last = Number(high[0]);
  const rest = low.length - 1;
  if (rest === 0) return digitClass(first, last);
  const zeros = "0".repeat(rest);
  const nines = "9".repeat(rest);
  const alternatives: string[] = [];
  let middleFrom = first;
  let middleTo = last;
  if (low.slice(1) !== zeros) {
    alternatives.push(gbnfSequence([digitClass(first, first), gbnfGroup(sameLength(low.slice(1), nines))]));
    middleFrom = first + 1;
  }
  const upperEnd = high.slice(1) !== nines ? gbnfSequence([digitClass(last, last), gbnfGroup(sameLength(zeros, high.slice(1)))]) : undefined;
  if (upperEnd !== undefined) middleTo = last - 1;
  if (middleFrom <= middleTo) alternatives.push(gbnfSequence([digitClass(middleFrom, middleTo), anyDigits(rest)]));
  if (upperEnd !== undefined) alternatives.push(upperEnd);
  return gbnfAlternatives(alternatives);
}

/**
 * Alternatives spelling every whole number in `[low, high]` (both non-negative safe integers), or ""
 * when the range is empty. Whole digit-count bands collapse into one `[1-9] [0-9]{m,n}`.
 */
export function digitRange(low: number, high: number): string {
  if (low > high) return "";
  const alternatives: string[] = [];
  let fullFrom: number | undefined;
  let fullTo = 0;
  const flushFull = (): void => {
    if (fullFrom !== undefined) alternatives.push(gbnfSequence(["[1-9]", gbnfRepeat("[0-9]", fullFrom - 1, fullTo - 1)]));
    fullFrom = undefined;
  };
  for (let length = String(low).length; length <= String(high).length; length++) {
    const from = Math.max(low, length === 1 ? 0 : 10 ** (length - 1));
    const to = Math.min(high, 10 ** length - 1);
    if (length > 1 && from === 10 ** (length - 1) && to === 10 ** length - 1) {
      fullFrom ??= length;
      fullTo = length;
      continue;
    }
    flushFull();
    alternatives.push(sameLength(String(from), String(to)));
  }
  flushFull();
  return gbnfAlternatives(alternatives);
}
