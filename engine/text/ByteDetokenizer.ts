/**
 * Turns a stream of token ids into a stream of text from the tokens' exact bytes: a UTF-8 character
 * split across tokens is held back until its last byte arrives, however many tokens that takes, so
 * the text never contains a broken character that the whole output would not. Owns that decoding;
 * the byte table is injected.
 */
import type {TextStreamDecoder} from "./IncrementalDetokenizer.ts";

export class ByteDetokenizer implements TextStreamDecoder {
  private readonly decoder = new TextDecoder("utf-8");

  constructor(private readonly bytesOf: (token: number) => Uint8Array) {}

  push(tokens: readonly number[]): string {
    let text = "";
    for (const token of tokens) text += this.decoder.decode(this.bytesOf(token), {stream: true});
    return text;
  }

  flush(): string {
    return this.decoder.decode();
  }
}
