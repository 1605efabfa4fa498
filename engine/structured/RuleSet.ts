/**
 * The rules of one grammar under construction: unique names derived from schema paths, shared bodies
 * written once, the fixed JSON rules added only when used, and a deterministic text rendering (root
 * first, then in order of first use). Owns naming and rendering only; what a rule says is decided by
 * the converter.
 */
import {PRIMITIVE_RULES, type PrimitiveName} from "./primitives.ts";

/** Reduces a path-like label to the characters GBNF allows in rule names (`a-zA-Z0-9-`). */
export function ruleNameFrom(label: string): string {
  const name = label.replace(/[^a-zA-Z0-9-]+/g, "-").replace(/-+/g, "-").replace(/^-|-$/g, "");
  return name === "" ? "x" : name;
}

/** @internal */
export class RuleSet {
  private readonly bodies = new Map<string, string | undefined>();
  private readonly nameByBody = new Map<string, string>();

  constructor() {
    // Fixed names are taken up front so a schema path can never claim one of them.
    for (const name of Object.keys(PRIMITIVE_RULES)) this.bodies.set(name, undefined);
    this.bodies.set("root", undefined);
  }

  /** A fresh name based on `label`, to be defined later (recursive rules need their name first). */
  reserve(label: string): string {
    const base = ruleNameFrom(label);
    let name = base;
    for (let suffix = 2; this.bodies.has(name); suffix++) name = `${base}-${suffix}`;
    this.bodies.set(name, undefined);
    return name;
  }

  /** Gives a reserved name its body. */
  define(name: string, body: string): void {
    this.bodies.set(name, body);
  }

  /** A rule with `body`, reusing an earlier rule with the same body instead of writing it twice. */
  add(label: string, body: string): string {
    const existing = this.nameByBody.get(body);
    if (existing !== undefined) return existing;
    const name = this.reserve(label);
    this.define(name, body);
    this.nameByBody.set(body, name);
    return name;
  }

  /** The name of a fixed JSON rule (whitespace, string, number, any value...), adding it on first use. */
  primitive(name: PrimitiveName): string {
    if (this.bodies.get(name) !== undefined) return name;
    const rule = PRIMITIVE_RULES[name];
    this.bodies.set(name, rule.body);
    for (const dependency of rule.uses) this.primitive(dependency as PrimitiveName);
    return name;
  }

  get size(): number {
    return this.bodies.size;
  }

  /** GBNF text: `root`, the schema's rules in order of creation, then the fixed rules used. */
  render(): string {
    const root = this.bodies.get("root");
    if (root === undefined) throw new Error("the grammar has no root rule");
    const lines = [`root ::= ${root}`];
    const fixed: string[] = [];
    for (const [name, body] of this.bodies) {
      const isFixed = name in PRIMITIVE_RULES;
      if (name === "root" || (body === undefined && isFixed)) continue;
      if (body === undefined) throw new Error(`rule ${name} was reserved but never defined`);
      (isFixed ? fixed : lines).push(`${name} ::= ${body}`);
    }
    return `${[...lines, ...fixed].join("\n")}\n`;
  }
}
