/**
 * Renames every rule of a GBNF grammar with a prefix, so several grammars (one per tool's argument
 * schema) can live in one: rule names are renamed wherever they appear, outside string literals and
 * character classes. Owns that renaming only.
 */

const NAME_CHAR = /[a-zA-Z0-9-]/;

/** `grammar` with each rule `name` renamed to `${prefix}${name}`. */
export function prefixRules(grammar: string, prefix: string): string {
  let result = "";
  for (let index = 0; index < grammar.length;) {
    const char = grammar[index]!;
    if (char === "\"" || char === "[") {
      const close = char === "\"" ? "\"" : "]";
      let end = index + 1;
      while (end < grammar.length && grammar[end] !== close) end += grammar[end] === "\\" ? 2 : 1;
      result += grammar.slice(index, end + 1);
      index = end + 1;
    } else if (char === "#") {
      const end = grammar.indexOf("\n", index);
      result += end === -1 ? grammar.slice(index) : grammar.slice(index, end);
      index = end === -1 ? grammar.length : end;
    } else if (NAME_CHAR.test(char)) {
      let end = index;
      while (end < grammar.length && NAME_CHAR.test(grammar[end]!)) end++;
      const word = grammar.slice(index, end);
      // Repetition counts ({2,5}) are numbers, not names.
      result += /^[0-9]+$/.test(word) ? word : prefix + word;
      index = end;
    } else {
      result += char;
      index++;
    }
  }
  return result;
}
