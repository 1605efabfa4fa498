import {defineConfig} from "vitest/config";

// Model-backed suites share the machine's 2 cores with llama.cpp's threads, so files run one at a time
// and long integration tests get a generous timeout.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ["default"]
  }
});
