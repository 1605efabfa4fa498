/**
 * Finds stop sequences in streamed text, across token boundaries. Text that could still be the start
 * of a stop sequence is held back until it is known not to be, so a stop sequence is never sent to a
 * client even in part. Owns that matching only; detokenization happens before it.
 */

export interface StopMatch {
  /** Text safe to emit now. */
  readonly text: string;
  /** True once a stop sequence was found; later input is ignored. */
  readonly isStopped: boolean;
}

export class StopMatcher {
  private held = "";
  private isStopped = false;
  private readonly stops: readonly string[];

  constructor(stops: readonly string[]) {
    this.stops = stops.filter((stop) => stop.length > 0);
  }

  push(text: string): StopMatch {
    if (this.isStopped) return {text: "", isStopped: true};
    if (this.stops.length === 0) return {text, isStopped: false};
    const buffer = this.held + text;
    let firstStop = -1;
    for (const stop of this.stops) {
      const index = buffer.indexOf(stop);
      if (index >= 0 && (firstStop < 0 || index < firstStop)) firstStop = index;
    }
    if (firstStop >= 0) {
      this.isStopped = true;
      this.held = "";
      return {text: buffer.slice(0, firstStop), isStopped: true};
    }
    const holdLength = this.longestStopPrefixAtEnd(buffer);
    this.held = buffer.slice(buffer.length - holdLength);
    return {text: buffer.slice(0, buffer.length - holdLength), isStopped: false};
  }

  /** Held-back text, released when generation ends for another reason. */
  flush(): string {
    const text = this.held;
    this.held = "";
    return this.isStopped ? "" : text;
  }

  private longestStopPrefixAtEnd(buffer: string): number {
    let longest = 0;
    for (const stop of this.stops) {
      for (let length = Math.min(stop.length - 1, buffer.length); length > longest; length--) {
        if (buffer.endsWith(stop.slice(0, length))) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }
}
