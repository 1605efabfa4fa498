/**
 * The variants file: the documented YAML form and JSON both load, relative model paths resolve against
 * the file's folder, defaults are filled in, mistakes are reported with the field's path, and
 * `--config` cannot be combined with `--model`.
 */
import {mkdtempSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {afterAll, describe, expect, it} from "vitest";
import {parseVariantsFile, readVariantsFile} from "../../../server/canary/variantConfig.ts";
import {buildCli, parseConfig} from "../../../server/config.ts";

const folder = mkdtempSync(join(tmpdir(), "inflight-variants-"));
afterAll(() => rmSync(folder, {recursive: true, force: true}));

const ISSUE_EXAMPLE = `
models:
  chat:                      # the name clients send as \`model\`
    sticky_key: user         # the OpenAI \`user\` field; or a header name such as x-user-id
    variants:
      - {name: stable, model: ./a.gguf, weight: 90}
      - {name: canary, model: ./b.gguf, weight: 10, guardrails: {max_error_rate: 0.05, max_ttft_p95_ratio: 1.5, min_samples: 200}}
      - {name: shadow-next, model: synthetic:small, shadow: 0.05}
`;

function write(name: string, text: string): string {
  const path = join(folder, name);
  writeFileSync(path, text);
  return path;
}

function errorOf(data: unknown): string {
  try {
    parseVariantsFile(data, "test.yaml", folder);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected a validation error");
}

describe("loading", () => {
  it("reads the documented YAML form, resolving relative paths against the file's folder", () => {
    const file = readVariantsFile(write("variants.yaml", ISSUE_EXAMPLE));
    const chat = file.models.chat!;
    expect(chat.sticky_key).toBe("user");
    expect(chat.variants.map((variant) => [variant.name, variant.model, variant.weight, variant.shadow])).toEqual([
      ["stable", join(folder, "a.gguf"), 90, undefined],
      ["canary", join(folder, "b.gguf"), 10, undefined],
      ["shadow-next", "synthetic:small", 0, 0.05]
    ]);
    expect(chat.variants[1]!.guardrails).toEqual({max_error_rate: 0.05, max_ttft_p95_ratio: 1.5, min_samples: 200, window_s: 60, interval_s: 10});
  });

  it("routes by the session key when sticky_key is not given", () => {
    const file = parseVariantsFile({models: {chat: {variants: [{name: "stable", model: "synthetic:tiny"}]}}}, "test.yaml", folder);
    expect(file.models.chat!.sticky_key).toBe("session");
  });

  it("reads JSON too, with engine options, sampling defaults and a rollout", () => {
    const file = readVariantsFile(write("variants.json", JSON.stringify({models: {chat: {sticky_key: "x-user-id", variants: [
      {name: "stable", model: "/models/a.gguf", weight: 100, parallel: 8, ctx_size: 2048, system_prompt: "Be brief.", sampling: {temperature: 0.2}},
      {name: "canary", model: "synthetic:tiny:2", rollout: {stages: [1, 5, 25, 100], hold_s: 600}}
    ]}}})));
    expect(file.models.chat!.variants[0]).toMatchObject({parallel: 8, ctx_size: 2048, system_prompt: "Be brief.", sampling: {temperature: 0.2}});
    expect(file.models.chat!.variants[1]!.rollout).toEqual({stages: [1, 5, 25, 100], hold_s: 600});
  });
});

describe("errors", () => {
  const stable = {name: "stable", model: "synthetic:tiny", weight: 1};

  it("names the field's path", () => {
    expect(errorOf({models: {chat: {variants: [stable, {name: "canary", model: "x", weight: -5}]}}}))
      .toBe("invalid config test.yaml:\n  models.chat.variants[1].weight: Too small: expected number to be >=0");
    expect(errorOf({models: {chat: {variants: [stable, {name: "canary", model: "x", wieght: 5}]}}})).toMatch(/models\.chat\.variants\[1\]: Unrecognized key: "wieght"/);
    expect(errorOf({models: {}})).toMatch(/models: declare at least one served model/);
    expect(errorOf({})).toMatch(/models: /);
  });

  it("refuses duplicate names, a shadow first, shadows with weights, guardrails on the baseline, and bad speculation fields", () => {
    expect(errorOf({models: {chat: {variants: [stable, {...stable}]}}})).toMatch(/variants\[1\]\.name: duplicate variant name "stable"/);
    expect(errorOf({models: {chat: {variants: [{...stable, shadow: 0.1}]}}})).toMatch(/the first variant \(the stable one\) cannot be a shadow/);
    expect(errorOf({models: {chat: {variants: [stable, {name: "s", model: "x", shadow: 0.1, weight: 3}]}}})).toMatch(/a shadow takes no weight/);
    expect(errorOf({models: {chat: {variants: [{...stable, guardrails: {max_error_rate: 0.1}}]}}})).toMatch(/the first variant is the baseline/);
    expect(errorOf({models: {chat: {variants: [{...stable, speculative: "eagle"}]}}})).toMatch(/models\.chat\.variants\[0\]\.speculative/);
    expect(errorOf({models: {chat: {variants: [{...stable, draft_max: 0}]}}})).toMatch(/models\.chat\.variants\[0\]\.draft_max/);
    expect(errorOf({models: {chat: {variants: [stable, {name: "c", model: "x", rollout: {stages: [5, 1], hold_s: 1}}]}}})).toMatch(/rollout\.stages: stages must increase/);
  });

  it("reports unreadable and unparsable files in one line", () => {
    expect(() => readVariantsFile(join(folder, "missing.yaml"))).toThrow(/^cannot read config .*missing\.yaml/);
    expect(() => readVariantsFile(write("bad.yaml", "models: [unclosed"))).toThrow(/is not valid YAML or JSON/);
  });
});

describe("flags", () => {
  it("takes --config and --admin-key", () => {
    expect(parseConfig(["--config", "v.yaml", "--admin-key", "k"])).toMatchObject({configFile: "v.yaml", adminKey: "k", model: undefined});
    expect(parseConfig([])).toMatchObject({configFile: undefined, adminKey: undefined});
  });

  it("refuses --config together with --model", () => {
    let stderr = "";
    const cli = buildCli().exitOverride().configureOutput({writeErr: (text) => { stderr += text; }});
    expect(() => cli.parse(["--config", "v.yaml", "--model", "a.gguf"], {from: "user"})).toThrow();
    expect(stderr).toMatch(/option '--config <file>' cannot be used with option '-m, --model <model>'/);
  });
});
