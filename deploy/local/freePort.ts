/** A loopback port that was free a moment ago, for a process about to listen on it. */
import {createServer} from "node:net";

export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no free loopback port");
  return address.port;
}
