/**
 * API keys (`--api-key`, `--api-key-file`): every `/v1/*` request, the websocket upgrade included,
 * needs `Authorization: Bearer <key>`, as vLLM and llama-server ask; a missing or wrong key is a 401
 * in OpenAI's shape. `/health`, `/ready` and `/metrics` stay public for probes and scrapers unless
 * `--protect-observability` says otherwise. The admin API has its own key (`--admin-key`).
 */
import {readFileSync} from "node:fs";
import type {FastifyInstance} from "fastify";
import {ApiError} from "../errors.ts";
import {isBearerKeyValid} from "./bearer.ts";

export interface ApiKeyOptions {
  readonly keys: readonly string[];
  readonly isObservabilityProtected: boolean;
}

const OBSERVABILITY_PATHS = new Set(["/health", "/ready", "/metrics"]);

/** Keys from a file: one per line; blank lines and lines starting with # are ignored. */
export function readApiKeyFile(path: string): string[] {
  return readFileSync(path, "utf8").split(/\r?\n/).map((line) => line.trim()).filter((line) => line.length > 0 && !line.startsWith("#"));
}

export function registerApiKeyAuth(app: FastifyInstance, options: ApiKeyOptions): void {
  if (options.keys.length === 0) return;
  app.addHook("onRequest", async (request, reply) => {
    const path = request.url.split("?")[0]!;
    const isProtected = path.startsWith("/v1/") || (options.isObservabilityProtected && OBSERVABILITY_PATHS.has(path));
    if (!isProtected) return;
    if (isBearerKeyValid(request.headers.authorization, options.keys)) return;
    const error = new ApiError(401, "Incorrect or missing API key: send Authorization: Bearer <key>.", "authentication_error", null, "invalid_api_key");
    if (request.headers.upgrade !== undefined) {
      // A refused websocket upgrade: answer on the raw socket and close it, or it stays open (and
      // holds the server's shutdown) after fastify's reply.
      const body = JSON.stringify(error.toBody());
      request.raw.socket.end(`HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      return reply.hijack();
    }
    throw error;
  });
}
