/**
 * Test utility: waits for a batch to end and checks it completed with every request answered exactly
 * once (one output line per custom_id, no error lines); returns the batch and its output lines.
 */
import {expect} from "vitest";
import type {BatchClient, BatchObject, OutputLine} from "./batchClient.ts";

export async function expectAnsweredOnce(client: BatchClient, batchId: string, numLines: number): Promise<{batch: BatchObject; output: OutputLine[]}> {
  const batch = await client.waitFor(batchId);
  expect(batch.status).toBe("completed");
  expect(batch.request_counts).toEqual({total: numLines, completed: numLines, failed: 0});
  const {output, errors} = await client.outputLines(batch);
  expect(errors).toEqual([]);
  expect(output).toHaveLength(numLines);
  expect(new Set(output.map((line) => line.custom_id)).size).toBe(numLines);
  return {batch, output};
}
