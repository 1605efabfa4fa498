/**
 * The key rule for extra properties: a JSON string that spells none of the declared names, so an
 * extra key can never repeat a declared one. Built from a trie of the names: at each node the key
 * may follow a name one more character, leave every name with a character no name has there (then
 * continue freely), or end where no name ends. Names are compared as written (a name spelled with
 * a needless `\u` escape is not recognised); names that JSON has to escape are not excluded at all.
 */
import {gbnfAlternatives, gbnfClass, gbnfLiteral, gbnfSequence} from "./gbnfText.ts";
import type {RuleSet} from "./RuleSet.ts";

interface TrieNode {
  readonly children: Map<string, TrieNode>;
  terminal: boolean;
}

function buildTrie(names: readonly string[]): TrieNode {
  const root: TrieNode = {children: new Map(), terminal: false};
  for (const name of names) {
    let node = root;
    for (const char of name) {
      let child = node.children.get(char);
      if (child === undefined) node.children.set(char, child = {children: new Map(), terminal: false});
      node = child;
    }
    node.terminal = true;
  }
  return root;
}

/** A rule name for a JSON string (quotes included) that is none of `names`. */
export function keyExcludingNames(names: readonly string[], label: string, rules: RuleSet): string {
  const plain = names.filter((name) => JSON.stringify(name) === `"${name}"`);
  if (plain.length === 0) return rules.primitive("string");
  rules.primitive("char");
  const body = trieRule(buildTrie(plain), label, rules);
  return rules.add(label, gbnfSequence(['"\\""', body, '"\\""']));
}

function trieRule(node: TrieNode, label: string, rules: RuleSet): string {
  const alternatives: string[] = [];
  for (const [char, child] of node.children) alternatives.push(gbnfSequence([gbnfLiteral(char), trieRule(child, label, rules)]));
  // Any character no name continues with here (raw or escaped), then any text.
  const used = [...node.children.keys()].map((char) => ({from: char.codePointAt(0)!, to: char.codePointAt(0)!}));
  const excluded = [...used, {from: 0x00, to: 0x1f}, {from: 0x22, to: 0x22}, {from: 0x5c, to: 0x5c}].sort((a, b) => a.from - b.from);
  alternatives.push(`${gbnfClass(excluded, true)} char*`, `"\\\\" ( ["\\\\/bfnrt] | "u" [0-9a-fA-F]{4} ) char*`);
  if (!node.terminal) alternatives.push("");
  return rules.add(label, gbnfAlternatives(alternatives));
}
