/**
 * The paged-KV ledger's public surface, and the only way code outside kvcache/ imports it: the
 * manager (the scheduler's), the block size default and the block hash with the common-prefix rule
 * (the engine's host-memory tier looks its saved prefixes up the same way), and the records. The
 * pool, the prefix lookup and the invariant checks stay behind the manager.
 */

export {DEFAULT_BLOCK_SIZE, KvCacheManager} from "./KvCacheManager.ts";
export {commonPrefixLength} from "./commonPrefix.ts";
export {computeBlockHashes} from "./blockHash.ts";
export type * from "./types.ts";
