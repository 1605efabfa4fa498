/**
 * The entry point `npm start` runs. node-llama-cpp runs every decode on libuv's thread pool, and with
 * the default pool of 4 workers consecutive decodes land on different threads; with a pool of one
 * worker they always run on the same thread, which keeps llama.cpp's threads warm and makes decoding
 * faster (docs/performance.md). The pool size is read once, when the process starts, so
 * unless the user chose a size this entry re-launches the server with UV_THREADPOOL_SIZE=1 and
 * relays signals and the exit code. The server itself uses the pool for nothing else on its hot
 * path (no file I/O per request, no DNS, no zlib). Owns only that; `main.ts` is the server.
 */
import {spawn} from "node:child_process";

if (process.env.UV_THREADPOOL_SIZE !== undefined) {
  await import("./main.ts");
} else {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit",
    env: {...process.env, UV_THREADPOOL_SIZE: "1"},
    // Its own process group: a terminal's Ctrl-C reaches only this process, which relays it once
    // (the server treats a second signal as "exit now").
    detached: true
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
