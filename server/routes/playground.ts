/**
 * The playground: `GET /` serves one static page (`server/playground/`), plain HTML, CSS and browser
 * JavaScript with no build step and nothing fetched from elsewhere, so it works offline. The six
 * files are read once when the app is built and sent from memory; a fixed list of routes means no
 * path from the URL ever reaches the file system. The page itself talks to the public API only
 * (`/v1/models`, `/v1/chat/completions` and its websocket, `/v1/stats`).
 */
import {readFileSync} from "node:fs";
import type {FastifyInstance} from "fastify";

interface StaticFile {
  readonly url: string;
  readonly file: string;
  readonly contentType: string;
}

const FILES: readonly StaticFile[] = [
  {url: "/", file: "index.html", contentType: "text/html; charset=utf-8"},
  {url: "/playground/playground.js", file: "playground.js", contentType: "text/javascript; charset=utf-8"},
  {url: "/playground/transports.js", file: "transports.js", contentType: "text/javascript; charset=utf-8"},
  {url: "/playground/toolCalls.js", file: "toolCalls.js", contentType: "text/javascript; charset=utf-8"},
  {url: "/playground/serverPanel.js", file: "serverPanel.js", contentType: "text/javascript; charset=utf-8"},
  {url: "/playground/playground.css", file: "playground.css", contentType: "text/css; charset=utf-8"}
];

/**
 * Same-origin only: the page can load nothing from a CDN even by mistake (the browser test fails on
 * the console error a blocked load logs). `data:` images cover the empty favicon.
 */
const CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'";

export function registerPlayground(app: FastifyInstance): void {
  for (const {url, file, contentType} of FILES) {
    const content = readFileSync(new URL(`../playground/${file}`, import.meta.url));
    app.get(url, async (_request, reply) => reply
      .type(contentType)
      .header("cache-control", "no-cache")
      .header("content-security-policy", CONTENT_SECURITY_POLICY)
      .header("x-content-type-options", "nosniff")
      .send(content));
  }
}
