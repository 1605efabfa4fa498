/**
 * The paged-KV ledger's public surface: the manager, the block hash (for a host tier to look blocks
 * up by), and the records. The pool and the invariant checks stay behind the manager.
 */

export {DEFAULT_BLOCK_SIZE, KvCacheManager} from "./KvCacheManager.ts";
export {commonPrefixLength} from "./commonPrefix.ts";
export {computeBlockHashes, DEFAULT_BLOCK_HASH_SEED, hashBlock} from "./blockHash.ts";
export type {BlockHashesOptions, BlockHashOptions} from "./blockHash.ts";
export type * from "./types.ts";
