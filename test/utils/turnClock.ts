/**
 * A clock for engines under test: `performance.now()`, read once per synchronous run, so every reading
 * until the next microtask checkpoint returns the first one. The engine's bookkeeping after a step
 * (its tokens' times, a request finishing in that step) then happens at one instant, as if it took no
 * time, however busy the machine is; time between turns stays real, so arrival stamps the server
 * takes with `performance.now()` stay earlier than anything the engine stamps after them.
 */
export function createTurnClock(): () => number {
  let readingMs: number | null = null;
  return () => {
    if (readingMs === null) {
      readingMs = performance.now();
      queueMicrotask(() => { readingMs = null; });
    }
    return readingMs;
  };
}
