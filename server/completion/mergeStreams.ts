/**
 * Reads the generation streams of a completion's choices (`n`) together: every event tagged with its
 * choice's index, each choice's events in their own order, choices interleaved as their tokens come.
 * A reader that stops early aborts every choice's generation, as leaving one stream's loop does.
 */
import type {GenerationEvent, GenerationStream} from "../../engine/GenerationStream.ts";

export interface ChoiceEvent {
  readonly index: number;
  readonly event: GenerationEvent;
}

export async function* mergeStreams(streams: readonly GenerationStream[]): AsyncGenerator<ChoiceEvent, void, undefined> {
  const ready: ChoiceEvent[] = [];
  let wake: (() => void) | null = null;
  let numOpen = streams.length;
  const readers = streams.map(async (stream, index) => {
    for await (const event of stream) {
      ready.push({index, event});
      wake?.();
      wake = null;
    }
    numOpen--;
    wake?.();
    wake = null;
  });
  try {
    while (numOpen > 0 || ready.length > 0) {
      const next = ready.shift();
      if (next) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => { wake = resolve; });
    }
    await Promise.all(readers);
  } finally {
    for (const stream of streams) stream.abort();
  }
}
