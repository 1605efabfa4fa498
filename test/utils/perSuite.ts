/**
 * One resource (an app, a server) for every test of the enclosing suite, or of the file at top level:
 * started before the first test, disposed after the last. Returns its getter, valid inside the tests.
 */
import {afterAll, beforeAll} from "vitest";

export function perSuite<T extends AsyncDisposable>(start: () => Promise<T>): () => T {
  let resource: T | undefined;
  beforeAll(async () => { resource = await start(); });
  afterAll(async () => { await resource?.[Symbol.asyncDispose](); });
  return () => {
    if (resource === undefined) throw new Error("the suite's resource is not started");
    return resource;
  };
}
