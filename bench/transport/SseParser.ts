/**
 * An incremental parser for `text/event-stream`: feed it decoded text as it arrives, get back the
 * `data` payload of every event completed so far. Follows the WHATWG rules that matter here: lines
 * end in LF, CRLF or CR (also when split across reads), one space after the colon is dropped,
 * several `data` lines join with LF, comments and other fields are ignored. It does not interpret
 * payloads; `chunk.ts` does.
 */

/** Splits a byte stream's text into event payloads. */
export class SseParser {
  #buffer = "";
  #dataLines: string[] = [];

  /** Adds `text` and returns the payloads of the events it completed, in order. */
  push(text: string): string[] {
    this.#buffer += text;
    const events: string[] = [];
    let start = 0;
    for (;;) {
      const lf = this.#buffer.indexOf("\n", start);
      const cr = this.#buffer.indexOf("\r", start);
      const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      if (end === -1) break;
      // A CR at the very end may be the first half of a CRLF still in flight.
      if (end === cr && cr === this.#buffer.length - 1) break;
      const skip = end === cr && this.#buffer[cr + 1] === "\n" ? 2 : 1;
      this.#line(this.#buffer.slice(start, end), events);
      start = end + skip;
    }
    this.#buffer = this.#buffer.slice(start);
    return events;
  }

  /** Call at end of stream: returns an event left without its closing blank line, if any. */
  end(): string[] {
    const events: string[] = [];
    if (this.#buffer !== "") this.#line(this.#buffer.replace(/\r$/, ""), events);
    this.#buffer = "";
    this.#line("", events);
    return events;
  }

  #line(line: string, events: string[]): void {
    if (line === "") {
      if (this.#dataLines.length > 0) events.push(this.#dataLines.join("\n"));
      this.#dataLines = [];
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    if (field !== "data") return;
    const value = colon === -1 ? "" : line.slice(colon + 1);
    this.#dataLines.push(value.startsWith(" ") ? value.slice(1) : value);
  }
}
