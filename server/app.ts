/**
 * Builds the fastify instance: request hooks (arrival time, request id, how each request ended),
 * routes (the HTTP API, its websocket, live stats and the playground page), one error handler, one
 * not-found handler, the metrics endpoint unless metrics are off, and the canary admin API when an
 * admin key is set.
 * It does not listen and does not load models (main.ts does both), so tests build it around any
 * registry and call `inject()` or listen on port 0.
 */
import {randomUUID} from "node:crypto";
import websocket from "@fastify/websocket";
import Fastify, {type FastifyInstance, type FastifyServerOptions, LogController} from "fastify";
import {observeRouter} from "./canary/observeRouter.ts";
import {ApiError, handleClientError, handleError} from "./errors.ts";
import {CompletionTracker} from "./metrics/CompletionTrace.ts";
import {registerRequestHooks} from "./metrics/requestHooks.ts";
import {ServerMetrics} from "./metrics/ServerMetrics.ts";
import type {ModelRegistry} from "./ModelRegistry.ts";
import {registerAdmin} from "./routes/admin.ts";
import {registerChatCompletions} from "./routes/chatCompletions.ts";
import {onWebsocketError, registerChatCompletionsWs} from "./routes/chatCompletionsWs.ts";
import {registerCompletions} from "./routes/completions.ts";
import {registerHealth} from "./routes/health.ts";
import {registerMetrics} from "./routes/metrics.ts";
import {registerModels} from "./routes/models.ts";
import {closeWebsocketsGoingAway, registerDrainingConnections} from "./process/drainingConnections.ts";
import {registerPlayground} from "./routes/playground.ts";
import {registerStats} from "./routes/stats.ts";
import cors from "@fastify/cors";
import {type ApiKeyOptions, registerApiKeyAuth} from "./auth/apiKeyAuth.ts";
import {VariantTally} from "./stats/VariantTally.ts";
import {observeBatches} from "./batch/batchMetrics.ts";
import type {BatchService} from "./batch/BatchService.ts";
import {registerBatchRoutes} from "./batch/routes/batches.ts";
import {type FileLimits, registerFileRoutes} from "./batch/routes/files.ts";

export interface AppOptions {
  readonly registry: ModelRegistry;
  readonly logger?: FastifyServerOptions["logger"];
  /** Largest accepted request body in bytes. */
  readonly bodyLimitBytes?: number;
  /**
   * Exported at `GET /metrics`. Left out: a new one observing the registry's models as they are now
   * (models added later need `observeRouter`). Null: no metrics at all (`--no-metrics`).
   */
  readonly metrics?: ServerMetrics | null;
  /** Writes prompts and outputs into the finished-request log lines (`--log-prompts`). */
  readonly isPromptLogged?: boolean;
  /** A reason not to be ready beyond the registry's own (main.ts: the warm-up); null when none. */
  readonly notReadyReason?: () => string | null;
  /** Bearer key of the `/admin` API (`--admin-key`); undefined: no admin API (its paths are 404). */
  readonly adminKey?: string;
  /** API keys protecting `/v1/*` (none: open). */
  readonly apiKeys?: ApiKeyOptions;
  /** Origins allowed by CORS (`--cors-origin`); undefined: CORS off, as by default. */
  readonly corsOrigins?: readonly string[];
  /** The Files and Batches API; undefined: those routes are absent. */
  readonly batch?: {readonly service: BatchService; readonly fileLimits: FileLimits};
}

const DEFAULT_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

/** Client-supplied ids are kept when they are short and printable, so logs correlate across hops. */
function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === "string" && /^[\w.:-]{1,128}$/.test(header) ? header : randomUUID();
}

export function buildApp(options: AppOptions): FastifyInstance {
  const {registry} = options;
  const bodyLimitBytes = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: bodyLimitBytes,
    genReqId: (request) => requestIdOf(request.headers["x-request-id"]),
    // Per-request access lines would sit on the streaming hot path; finished requests are logged once instead.
    logController: new LogController({disableRequestLogging: true}),
    // Node's requestTimeout covers receiving a request, not the response: streams can still last
    // minutes, while a client that never finishes sending its body is cut off (408).
    requestTimeout: 30_000,
    // Shutdown drains the engines first; sockets left after that (some never carried a request)
    // must not hold the process for a minute.
    forceCloseConnections: true,
    // Malformed HTTP (before fastify has a request) is answered in OpenAI's error shape too.
    clientErrorHandler: handleClientError
  });
  const metrics = options.metrics === undefined ? new ServerMetrics() : options.metrics;
  if (metrics) app.addHook("onClose", async () => metrics.close());
  for (const router of registry.routers()) observeRouter(router, metrics, app.log);
  const tracker = new CompletionTracker(options.isPromptLogged ?? false);
  registerRequestHooks(app, metrics);
  if (options.corsOrigins && options.corsOrigins.length > 0) {
    void app.register(cors, {origin: options.corsOrigins.includes("*") ? true : [...options.corsOrigins]});
  }
  if (options.apiKeys) registerApiKeyAuth(app, options.apiKeys);
  // Only JSON bodies mean anything here; other content types get fastify's 415.
  app.removeContentTypeParser("text/plain");
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => {
    const error = new ApiError(404, `no route for ${request.method} ${request.url}`, "invalid_request_error", null, "not_found");
    void reply.code(404).send(error.toBody());
  });
  // Draining wins over a start-up reason: a server told to stop during its warm-up is leaving.
  registerHealth(app, () => (registry.isDraining ? registry.notReadyReason : options.notReadyReason?.() ?? registry.notReadyReason));
  registerDrainingConnections(app, registry);
  if (metrics) registerMetrics(app, metrics);
  registerModels(app, registry);
  registerChatCompletions(app, registry, tracker);
  registerCompletions(app, registry, tracker);
  const tally = new VariantTally();
  app.addHook("onClose", async () => tally.close());
  registerStats(app, registry, tally, options.batch?.service);
  if (options.batch) {
    const {service} = options.batch;
    service.useLog(app.log);
    app.addHook("onClose", async () => service.close());
    registerFileRoutes(app, options.batch.service, options.batch.fileLimits);
    registerBatchRoutes(app, options.batch.service);
    if (metrics) observeBatches(metrics, options.batch.service);
  }
  registerPlayground(app);
  if (options.adminKey !== undefined) registerAdmin(app, registry, options.adminKey);
  // A websocket message is a request body: same limit (a larger one closes the socket with 1009).
  void app.register(websocket, {options: {maxPayload: bodyLimitBytes}, errorHandler: onWebsocketError, preClose: closeWebsocketsGoingAway});
  // Websocket routes must be declared after the plugin has loaded, hence their own scope.
  void app.register(async (scope) => registerChatCompletionsWs(scope, {registry, tracker, metrics}));
  return app;
}
