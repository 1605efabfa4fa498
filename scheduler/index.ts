/**
 * The scheduler's public surface: the Scheduler class, its queue, and the records it exchanges with
 * the engine. Internals (request state, sequence books, invariant checks) stay behind the class.
 */

export {Scheduler} from "./Scheduler.ts";
export {RequestQueue} from "./RequestQueue.ts";
export type {QueueEntry} from "./RequestQueue.ts";
export type * from "./types.ts";
