/**
 * Waits for something the test cannot be told about directly (a gauge, a log line, a process's
 * readiness) by checking a condition on a short interval. The bound is a hang guard only: a test
 * asserts what happened, never how soon, so the bound is generous and reaching it is a failure that
 * names what never happened.
 */

export interface EventuallyOptions {
  /** Between checks; default 5 ms. */
  readonly intervalMs?: number;
  /** Hang guard; default 30 s, well inside the test timeout so this message is the one a test fails with. */
  readonly timeoutMs?: number;
}

/** What a condition returns while it does not hold yet. */
type NotYet = false | null | undefined;

/**
 * Resolves with the condition's first value other than false, null or undefined (so a condition can
 * return what it found, such as a scrape); throws after `timeoutMs` with `description` in the message
 * (a function is called then, to tell what was seen instead). A condition that throws fails at once:
 * a broken check is not "not yet".
 */
export async function eventually<T>(
  description: string | (() => string),
  condition: () => T | NotYet | Promise<T | NotYet>,
  {intervalMs = 5, timeoutMs = 30_000}: EventuallyOptions = {}
): Promise<T> {
  const deadlineMs = performance.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value !== false && value !== null && value !== undefined) return value;
    if (performance.now() > deadlineMs) {
      throw new Error(`eventually: still not the case after ${timeoutMs} ms: ${typeof description === "string" ? description : description()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
