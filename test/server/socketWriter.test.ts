/**
 * Slow readers over a real loopback websocket: once a client stops reading and the kernel's buffers
 * are full, the server's buffered amount stops growing at the writer's mark (a send waits instead of
 * queueing), and everything arrives, in order, once the client reads again.
 */
import type {AddressInfo} from "node:net";
import {afterEach, expect, it} from "vitest";
import WebSocket, {WebSocketServer} from "ws";
import {SocketWriter} from "../../server/ws/SocketWriter.ts";
import {eventually} from "../utils/eventually.ts";

const HIGH_WATER_BYTES = 32 * 1024;
const MESSAGE_BYTES = 16 * 1024;
/** Enough to overflow loopback socket buffers (a few MiB) several times over. */
const MAX_MESSAGES = 4000;

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function connectedPair(): Promise<{server: WebSocket; client: WebSocket}> {
  const wss = new WebSocketServer({host: "127.0.0.1", port: 0});
  await new Promise((resolve) => wss.once("listening", resolve));
  const serverSide = new Promise<WebSocket>((resolve) => wss.once("connection", resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  await new Promise((resolve) => client.once("open", resolve));
  const server = await serverSide;
  cleanup = async () => {
    client.terminate();
    await new Promise((resolve) => wss.close(resolve));
  };
  return {server, client};
}

/**
 * Whether a send settles within `ms`: the loop below uses it to find the send that the full kernel
 * buffers hold up (a heuristic for "stalled", never an assertion of speed).
 */
const isSettledWithin = (promise: Promise<void>, ms: number): Promise<boolean> =>
  Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);

it("pauses the sender at the mark while the reader does not read, and delivers everything after", async () => {
  const {server, client} = await connectedPair();
  const received: number[] = [];
  client.on("message", (data) => received.push(Number(data.toString().slice(0, 8))));
  client.pause();
  const writer = new SocketWriter(server, HIGH_WATER_BYTES);
  const message = (index: number): string => String(index).padStart(8, "0") + "x".repeat(MESSAGE_BYTES - 8);

  let stalled: Promise<void> | null = null;
  let numSent = 0;
  while (numSent < MAX_MESSAGES) {
    const sending = writer.send(message(numSent++));
    // Under the mark a send settles at once; the first that does not is waiting for its flush.
    if (!(await isSettledWithin(sending, 100))) {
      stalled = sending;
      break;
    }
  }
  expect(stalled).not.toBeNull();
  // Never more than the mark plus the message that crossed it, plus the one that waits (and frame headers).
  expect(server.bufferedAmount).toBeLessThanOrEqual(HIGH_WATER_BYTES + 2 * (MESSAGE_BYTES + 16));
  expect(received).toEqual([]);

  client.resume();
  await stalled;
  for (let index = numSent; index < numSent + 10; index++) await writer.send(message(index));
  await eventually("every message sent has arrived", () => received.length === numSent + 10);
  expect(received).toEqual(Array.from({length: numSent + 10}, (_, index) => index));
});

it("stops waiting when the socket closes, and sends nothing on a closed socket", async () => {
  const {server, client} = await connectedPair();
  client.pause();
  const writer = new SocketWriter(server, 0);
  const waiting = writer.send("x".repeat(MESSAGE_BYTES));
  const closed = new Promise((resolve) => server.once("close", resolve));
  client.terminate();
  await closed;
  let isSettled = false;
  void waiting.then(() => { isSettled = true; });
  await eventually("the waiting send settles once the socket has closed", () => isSettled);
  expect(writer.isOpen).toBe(false);
  await writer.send("after close");
});
