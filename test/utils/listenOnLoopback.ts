/** Listens on an ephemeral loopback port and returns the base URL: every test server binds this way. */
import type {FastifyInstance} from "fastify";

export async function listenOnLoopback(app: FastifyInstance): Promise<string> {
  await app.listen({host: "127.0.0.1", port: 0});
  const address = app.server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return `http://127.0.0.1:${address.port}`;
}
