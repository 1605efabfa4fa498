/** The shutdown flags: --drain-delay and --shutdown-timeout in seconds, each also from the environment, converted once to ms. */
import {afterEach, expect, it} from "vitest";
import {parseConfig} from "../../server/config.ts";

afterEach(() => {
  delete process.env.INFLIGHT_DRAIN_DELAY;
});

it("drains for 5 s and lets requests finish for 30 s by default", () => {
  expect(parseConfig([])).toMatchObject({drainDelayMs: 5000, shutdownTimeoutMs: 30_000});
});

it("takes both in seconds by flag, 0 turning the drain delay off", () => {
  expect(parseConfig(["--drain-delay", "0", "--shutdown-timeout", "120"])).toMatchObject({drainDelayMs: 0, shutdownTimeoutMs: 120_000});
});

it("reads the drain delay from the environment", () => {
  process.env.INFLIGHT_DRAIN_DELAY = "12";
  expect(parseConfig([])).toMatchObject({drainDelayMs: 12_000});
});
