/**
 * Finds where a JSON value ends in text that is still arriving, without parsing it: strings with
 * their escapes, nesting of objects and arrays, and bare literals. Enough to tell a tool call's
 * parts apart as the model writes them. Owns that scanning only.
 */

const WHITESPACE = /\s/;

/** Index after the whitespace starting at `from`. */
export function skipWhitespace(text: string, from: number): number {
  let index = from;
  while (index < text.length && WHITESPACE.test(text[index]!)) index++;
  return index;
}

/** End (exclusive) of the string literal starting at `from` (a `"`), or -1 while it is incomplete. */
export function stringEnd(text: string, from: number): number {
  for (let index = from + 1; index < text.length; index++) {
    if (text[index] === "\\") index++;
    else if (text[index] === "\"") return index + 1;
  }
  return -1;
}

/**
 * End (exclusive) of the JSON value starting at `from`, or -1 while it is incomplete. A bare literal
 * (number, true, null) ends at the first delimiter; at the end of the text it counts as complete
 * only when `isFinal`.
 */
export function valueEnd(text: string, from: number, isFinal = false): number {
  const first = text[from];
  if (first === undefined) return -1;
  if (first === "\"") return stringEnd(text, from);
  if (first !== "{" && first !== "[") {
    let index = from;
    while (index < text.length && !/[\s,}\]]/.test(text[index]!)) index++;
    return index < text.length || isFinal ? index : -1;
  }
  let depth = 0;
  for (let index = from; index < text.length; index++) {
    const char = text[index]!;
    if (char === "\"") {
      const end = stringEnd(text, index);
      if (end === -1) return -1;
      index = end - 1;
    } else if (char === "{" || char === "[") {
      depth++;
    } else if (char === "}" || char === "]") {
      depth--;
      if (depth === 0) return index + 1;
    }
  }
  return -1;
}
