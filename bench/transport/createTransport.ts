/**
 * Picks the transport the configuration names. The only file that knows all three.
 */
import {createNonStreamTransport} from "./nonStreamTransport.ts";
import {createSseTransport} from "./sseTransport.ts";
import type {Transport, TransportContext} from "./types.ts";
import {createWsTransport} from "./wsTransport.ts";
import type {TransportKind} from "../types.ts";

/** A fresh transport of `kind` for `context.target`; close it when the round is over. */
export function createTransport(kind: TransportKind, context: TransportContext): Transport {
  switch (kind) {
    case "sse":
      return createSseTransport(context);
    case "ws":
      return createWsTransport(context);
    case "nonstream":
      return createNonStreamTransport(context);
  }
}
