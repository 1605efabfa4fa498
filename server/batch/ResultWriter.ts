/**
 * Writes how batch requests ended with group commit: while one write is in flight, the next endings
 * gather, and go together in the next statement. A request counts as answered once its write has
 * committed; one that ended but was not written when the process died runs again after the restart.
 * Owns the queue of unwritten endings; `RequestStore.record` decides which of them still count.
 */
import type {EndedRequest, RequestStore} from "./store/RequestStore.ts";

export class ResultWriter {
  private queue: EndedRequest[] = [];
  private writing: Promise<void> | null = null;

  constructor(private readonly requests: RequestStore, private readonly onWritten: (batchIds: readonly string[]) => void,
    private readonly onError: (error: unknown) => void) {}

  add(ended: EndedRequest): void {
    this.queue.push(ended);
    this.writing ??= this.writeAll().finally(() => { this.writing = null; });
  }

  /** Resolves once everything added so far is written. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async writeAll(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        this.onWritten(await this.requests.record(batch));
      } catch (error) {
        // The claims stay `running`; after a restart (or another replica's lease check) they run again.
        this.onError(error);
      }
    }
  }
}
