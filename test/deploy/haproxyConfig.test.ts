/**
 * The shipped HAProxy configuration: valid for HAProxy as shipped, and as the local cluster renders it
 * (its own bind address and servers, optionally round robin), with everything else unchanged.
 */
import {readFileSync} from "node:fs";
import {describe, expect, it} from "vitest";
import {HAPROXY_CONFIG_PATH, renderHaproxyConfig} from "../../deploy/local/haproxyConfig.ts";
import {checkHaproxyConfig} from "../../deploy/local/haproxyProcess.ts";
import {isHaproxySkipped, warnIfHaproxySkipped} from "../utils/haproxy.ts";

warnIfHaproxySkipped("HAProxy configuration test");

const shipped = readFileSync(HAPROXY_CONFIG_PATH, "utf8");
const servers = [{name: "r1", address: "127.0.0.1:9101"}, {name: "r2", address: "127.0.0.1:9102"}];

describe("rendering", () => {
  it("replaces the bind address and the servers, and keeps every other line", () => {
    const rendered = renderHaproxyConfig({bindAddress: "127.0.0.1:9100", servers});
    expect(rendered).toMatch(/^\s+bind 127\.0\.0\.1:9100$/m);
    expect(rendered.match(/^\s+server .*$/gm)).toEqual(["    server r1 127.0.0.1:9101", "    server r2 127.0.0.1:9102"]);
    const unchanged = (text: string) => text.split("\n").filter((line) => !/^\s+(bind|server)\s/.test(line));
    expect(unchanged(rendered)).toEqual(unchanged(shipped));
  });

  it("swaps session hashing for round robin on request", () => {
    const rendered = renderHaproxyConfig({bindAddress: "127.0.0.1:9100", servers, balance: "roundrobin"});
    expect(rendered).toMatch(/^\s+balance roundrobin$/m);
    expect(rendered).not.toMatch(/balance hash/);
  });

  it("refuses a file that lost a line it renders", () => {
    expect(() => renderHaproxyConfig({bindAddress: "127.0.0.1:9100", servers}, shipped.replace(/^\s+balance .*$/m, ""))).toThrow(/balance line/);
  });
});

describe.skipIf(isHaproxySkipped)("haproxy -c", () => {
  it("accepts the configuration as shipped and as rendered", async () => {
    await checkHaproxyConfig(shipped);
    await checkHaproxyConfig(renderHaproxyConfig({bindAddress: "127.0.0.1:9100", servers}));
    await checkHaproxyConfig(renderHaproxyConfig({bindAddress: "127.0.0.1:9100", servers, balance: "roundrobin"}));
  });

  it("reports HAProxy's own message for a configuration it refuses", async () => {
    // HAProxy 2.6 cannot retry a 429: the trap the shipped file avoids.
    await expect(checkHaproxyConfig(shipped.replace("retry-on conn-failure empty-response 503", "retry-on 429"))).rejects.toThrow(/429/);
  });
});
