/**
 * Builds the fastify instance: routes, one error handler, one not-found handler. It does not listen
 * and does not load models (main.ts does both), so tests build it around any registry and call
 * `inject()` or listen on port 0.
 */
import {randomUUID} from "node:crypto";
import Fastify, {type FastifyInstance, type FastifyServerOptions, LogController} from "fastify";
import {ApiError, handleError} from "./errors.ts";
import type {ModelRegistry} from "./ModelRegistry.ts";
import {registerChatCompletions} from "./routes/chatCompletions.ts";
import {registerCompletions} from "./routes/completions.ts";
import {registerHealth} from "./routes/health.ts";
import {registerModels} from "./routes/models.ts";

export interface AppOptions {
  readonly registry: ModelRegistry;
  readonly logger?: FastifyServerOptions["logger"];
  /** Largest accepted request body in bytes. */
  readonly bodyLimitBytes?: number;
}

/** Client-supplied ids are kept when they are short and printable, so logs correlate across hops. */
function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === "string" && /^[\w.:-]{1,128}$/.test(header) ? header : randomUUID();
}

export function buildApp(options: AppOptions): FastifyInstance {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimitBytes ?? 4 * 1024 * 1024,
    genReqId: (request) => requestIdOf(request.headers["x-request-id"]),
    // Per-request access lines would sit on the streaming hot path; finished requests are logged once instead.
    logController: new LogController({disableRequestLogging: true}),
    // Streams can last minutes; the engine, not the socket timer, decides when a request ends.
    requestTimeout: 0
  });
  // Only JSON bodies mean anything here; other content types get fastify's 415.
  app.removeContentTypeParser("text/plain");
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => {
    const error = new ApiError(404, `no route for ${request.method} ${request.url}`, "invalid_request_error", null, "not_found");
    void reply.code(404).send(error.toBody());
  });
  registerHealth(app, options.registry);
  registerModels(app, options.registry);
  registerChatCompletions(app, options.registry);
  registerCompletions(app, options.registry);
  return app;
}
