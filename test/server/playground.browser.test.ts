/**
 * The playground page in headless Chromium (Debian's `chromium`, driven by playwright-core) against
 * the real server over the fake model, whose decode steps are slowed so streaming is visible: load /,
 * send a message, see the reply grow in several increments over the websocket with live TTFT, tokens/s
 * and server panel, press stop, see the stream end and the sequence freed; then the same over SSE.
 * On the tiny synthetic model, a reply forced to call a tool shows the call's name and arguments, and
 * the next message goes back as the call's result. Screenshots are kept in test-artifacts/. Any console error or page error fails the test.
 *
 * Skipped, saying why, only when Chromium is absent outside CI; in CI (`CI=true`, where `.ci/run`
 * installs it) a missing browser is a failure.
 */
import {existsSync, mkdirSync} from "node:fs";
import {fileURLToPath} from "node:url";
import {type Browser, chromium, type Page} from "playwright-core";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {startSyntheticServer, type SyntheticServer} from "../utils/syntheticServer.ts";
import {type FakeApp, startFakeApp} from "./fakeApp.ts";

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const isCi = process.env.CI !== undefined && !["", "0", "false"].includes(process.env.CI);
const hasChromium = existsSync(CHROMIUM_PATH);
const isSkipped = !hasChromium && !isCi;
const ARTIFACTS_DIR = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));
/** Slow enough that a person (and this test) sees the reply grow token by token. */
const STEP_DELAY_MS = 40;
/** Generous: the machine may be busy with other suites or benchmarks. */
const POLL = {timeout: 10_000} as const;

if (isSkipped) {
  console.warn(`playground browser test SKIPPED: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`);
}

let server: FakeApp;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];

/** The text of the last assistant message. */
const replyText = async (): Promise<string> => (await page.locator("#messages li.assistant .content").last().textContent()) ?? "";

/**
 * Records every length the last assistant message's text takes, as the page renders it (a
 * MutationObserver in the page), so "streamed in increments" is what the DOM really showed. Page
 * scripts are strings: this project's TypeScript has no DOM types.
 */
const WATCH_REPLY = `(() => {
  const lengths = [];
  window.replyLengths = lengths;
  const messages = document.getElementById("messages");
  new MutationObserver(() => {
    const replies = messages.querySelectorAll("li.assistant .content");
    const length = replies.length === 0 ? 0 : replies[replies.length - 1].textContent.length;
    if (length !== lengths[lengths.length - 1]) lengths.push(length);
  }).observe(messages, {subtree: true, childList: true, characterData: true});
})()`;

const replyLengths = (): Promise<number[]> => page.evaluate<number[]>("window.replyLengths");

async function sendAndStop(message: string, screenshot: string): Promise<void> {
  await page.evaluate(WATCH_REPLY);
  await page.fill("#prompt", message);
  await page.click("#send");
  await expect.poll(async () => (await replyLengths()).filter((length) => length > 0).length, POLL).toBeGreaterThanOrEqual(3);
  const lengths = await replyLengths();
  // Growing, and in steps: not one block of text appearing at once.
  expect(lengths.filter((length) => length > 0)).toEqual([...new Set(lengths.filter((length) => length > 0))].sort((a, b) => a - b));
  await expect.poll(() => page.textContent("#reply-status"), POLL).toBe("streaming");
  await expect.poll(() => page.textContent("#reply-ttft"), POLL).toMatch(/^\d+(\.\d+)? m?s$/);
  await expect.poll(() => page.textContent("#reply-tps"), POLL).toMatch(/^\d+\.\d$/);
  // The server panel polls /v1/stats once a second: it shows this reply running.
  await expect.poll(() => page.textContent("#stat-running"), POLL).toBe("1 / 2");
  await page.screenshot({path: `${ARTIFACTS_DIR}${screenshot}-streaming.png`, fullPage: true});

  await page.click("#stop");
  await expect.poll(() => page.textContent("#reply-status"), POLL).toBe("stopped");
  expect(await page.isDisabled("#stop")).toBe(true);
  expect(await page.isEnabled("#send")).toBe(true);
  const stoppedText = await replyText();
  expect(stoppedText.length).toBeGreaterThan(0);
  // The stream has ended: nothing more arrives, and the server freed the sequence.
  await new Promise((resolve) => setTimeout(resolve, 10 * STEP_DELAY_MS));
  expect(await replyText()).toBe(stoppedText);
  expect(server.model.engine.stats).toMatchObject({numRunning: 0, numWaiting: 0, numFreeSequences: 2});
  await page.screenshot({path: `${ARTIFACTS_DIR}${screenshot}-stopped.png`, fullPage: true});
}

describe.skipIf(isSkipped)("playground in headless Chromium", () => {
  beforeAll(async () => {
    if (!hasChromium) throw new Error(`Chromium is missing at ${CHROMIUM_PATH}: in CI it must be installed (.ci/run does)`);
    mkdirSync(ARTIFACTS_DIR, {recursive: true});
    server = await startFakeApp({numSequences: 2, sequenceCapacity: 4096, stepDelayMs: STEP_DELAY_MS});
    browser = await chromium.launch({executablePath: CHROMIUM_PATH, args: ["--disable-dev-shm-usage"]});
    page = await browser.newPage({viewport: {width: 1280, height: 800}});
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.[Symbol.asyncDispose]();
  });

  it("streams a reply over the websocket, stops it, then does the same over SSE, with no console error", async () => {
    await page.goto(server.url);
    await expect.poll(() => page.inputValue("#model"), POLL).toBe("fake");
    await sendAndStop("Hello, playground!", "playground-ws");
    expect(await page.textContent("#reply-transport")).toBe("websocket");
    expect(await page.textContent("#connection")).toBe("websocket: connected");

    await page.check("#use-sse");
    await sendAndStop("And now over SSE, please.", "playground-sse");
    expect(await page.textContent("#reply-transport")).toBe("SSE");
    // The conversation went on: two user messages, two (stopped) replies.
    expect(await page.locator("#messages li.user").count()).toBe(2);
    expect(await page.locator("#messages li.assistant").count()).toBe(2);
    await page.screenshot({path: `${ARTIFACTS_DIR}playground.png`, fullPage: true});
    expect(consoleErrors).toEqual([]);
  });
});

describe.skipIf(isSkipped)("playground tool calls in headless Chromium, on the tiny synthetic model", () => {
  let synthetic: SyntheticServer;
  let toolBrowser: Browser;
  let toolPage: Page;
  const errors: string[] = [];
  const WEATHER_TOOL = JSON.stringify([{type: "function", function: {name: "get_weather", parameters: {
    type: "object", properties: {city: {type: "string", maxLength: 8}}, required: ["city"], additionalProperties: false
  }}}]);

  beforeAll(async () => {
    if (!hasChromium) throw new Error(`Chromium is missing at ${CHROMIUM_PATH}: in CI it must be installed (.ci/run does)`);
    mkdirSync(ARTIFACTS_DIR, {recursive: true});
    synthetic = await startSyntheticServer({parallel: 2, ctxSize: 1024});
    toolBrowser = await chromium.launch({executablePath: CHROMIUM_PATH, args: ["--disable-dev-shm-usage"]});
    toolPage = await toolBrowser.newPage({viewport: {width: 1280, height: 800}});
    toolPage.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    toolPage.on("pageerror", (error) => errors.push(error.message));
  }, 120_000);

  afterAll(async () => {
    await toolBrowser?.close();
    await synthetic?.[Symbol.asyncDispose]();
  });

  it("shows a reply's tool calls with their name and arguments, and sends the next message as their result", async () => {
    await toolPage.goto(synthetic.url);
    await expect.poll(() => toolPage.inputValue("#model"), POLL).toBe("tiny");
    await toolPage.click("#tools-panel summary");
    await toolPage.fill("#tools", WEATHER_TOOL);
    await toolPage.selectOption("#tool-choice", "required");
    await toolPage.fill("#max-tokens", "60");
    await toolPage.fill("#prompt", "What is the weather in Paris?");
    await toolPage.click("#send");
    await expect.poll(() => toolPage.textContent("#reply-status"), {timeout: 60_000}).toMatch(/^done \((tool_calls|length)\)$/);
    const names = await toolPage.locator("#messages li.assistant .tool-calls .name").allTextContents();
    expect(names.length).toBeGreaterThan(0);
    expect(new Set(names)).toEqual(new Set(["get_weather"]));
    const firstArguments = await toolPage.locator("#messages li.assistant .tool-calls code").first().textContent();
    expect(JSON.parse(firstArguments ?? "")).toEqual({city: expect.any(String)});
    expect(await toolPage.locator("#messages li.assistant .note").last().textContent()).toContain("result of get_weather");
    await toolPage.screenshot({path: `${ARTIFACTS_DIR}playground-tool-calls.png`, fullPage: true});

    await toolPage.selectOption("#tool-choice", "none");
    await toolPage.fill("#max-tokens", "8");
    await toolPage.fill("#prompt", "sunny, 21 degrees");
    await toolPage.click("#send");
    await expect.poll(() => toolPage.textContent("#reply-status"), {timeout: 60_000}).toMatch(/^done \(/);
    expect(await toolPage.locator("#messages li.tool .content").textContent()).toBe("sunny, 21 degrees");
    expect(await toolPage.locator("#messages li.assistant").count()).toBe(2);
    expect(errors).toEqual([]);
  }, 120_000);

  it("says so when the tools are not JSON, and sends nothing", async () => {
    await toolPage.fill("#tools", "[{not json");
    const numMessages = await toolPage.locator("#messages li").count();
    await toolPage.fill("#prompt", "hello");
    await toolPage.click("#send");
    await expect.poll(() => toolPage.locator("#messages li.error .note").last().textContent(), POLL).toContain("the tools are not JSON");
    expect(await toolPage.locator("#messages li").count()).toBe(numMessages + 1);
    expect(errors).toEqual([]);
  });
});
