/**
 * --target-itl-ms: "auto" by default, a number of milliseconds, 0 for no bound, from the
 * environment too; anything else fails with one clear line.
 */
import {afterEach, expect, it} from "vitest";
import {parseConfig} from "../../server/config.ts";
import {parseFailure} from "../utils/parseFailure.ts";

afterEach(() => {
  delete process.env.INFLIGHT_TARGET_ITL_MS;
});

it("sizes prefill for twice the measured decode step unless told otherwise", () => {
  expect(parseConfig([]).engine.targetItlMs).toBe("auto");
  expect(parseConfig(["--target-itl-ms", "80"]).engine.targetItlMs).toBe(80);
  expect(parseConfig(["--target-itl-ms", "0"]).engine.targetItlMs).toBe(0);
  process.env.INFLIGHT_TARGET_ITL_MS = "120.5";
  expect(parseConfig([]).engine.targetItlMs).toBe(120.5);
});

it("refuses a negative or non-numeric target", () => {
  expect(parseFailure(["--target-itl-ms", "-3"])).toContain(`expected auto or milliseconds >= 0, got "-3"`);
  expect(parseFailure(["--target-itl-ms", "fast"])).toContain(`got "fast"`);
});
