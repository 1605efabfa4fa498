#!/usr/bin/env bash
# Runs every benchmark behind the README's performance tables, one after another on a quiet machine,
# and keeps each one's output under bench/results/ (git-ignored). It takes hours on 2 cores,
# plus the 10-minute soak with --soak. Needs the reference binaries: npm run bench:reference.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=bench/results
mkdir -p "$out"
run() { local name=$1; shift; echo "== $name: $*" >&2; "$@" 2>&1 | tee "$out/$name.txt"; }
run parity npm run -s bench:parity -- --model synthetic:small --batch 1,4,8 --rounds 2 --json "$out/parity.json"
run parity-tiny npm run -s bench:parity -- --model synthetic:tiny --batch 1,8 --rounds 2 --json "$out/parity-tiny.json"
run overhead npm run -s bench:overhead -- --model synthetic:small --concurrency 1,4,8,16 --output-len 128 --rounds 2 --json "$out/overhead.json"
run overhead-threads1 npm run -s bench:overhead -- --model synthetic:small --concurrency 4,8 --output-len 128 --rounds 2 --threads 1 --json "$out/overhead-threads1.json"
run steps npm run -s bench:steps -- --model synthetic:small --concurrency 8 --rounds 3
run prefix npm run -s bench:prefix -- --model synthetic:small --conversations 16 --turns 4 --system-len 500 --rounds 2 --json "$out/prefix.json"
run metrics npm run -s bench:metrics -- --model synthetic:small --concurrency 4 --output-len 128 --rounds 4
run spec-cost npm run -s bench:spec-cost -- --json "$out/spec-cost.json"
run speculative-1 npm run -s bench:spec -- --levels 1 --rounds 3 --json "$out/speculative-1.json"
run speculative-8 npm run -s bench:spec -- --levels 8 --rounds 3 --json "$out/speculative-8.json"
run speculative-pmin npm run -s bench:spec -- --pairs medium:medium-draft --levels 1 --draft-p-min 0.6 --rounds 3
run speculative-ngram npm run -s bench:spec -- --speculative ngram --rounds 3 --json "$out/speculative-ngram.json"
run structured npm run -s bench:structured -- --model synthetic:small --concurrency 1,8 --rounds 2 --json "$out/structured.json"
run logprobs npm run -s bench:logprobs -- --model synthetic:small --concurrency 1,8 --rounds 2 --json "$out/logprobs.json"
run batch-check npm run -s bench:batch -- --mode check --model synthetic:tiny --lines 5000
run batch-interference npm run -s bench:batch -- --mode interference --model synthetic:tiny --concurrency 2 --rounds 3
run batch-throughput npm run -s bench:batch -- --mode throughput --model synthetic:tiny --lines 5000 --rounds 3
run peer npm run -s bench:peer -- --model synthetic:small --threads 2 --parallel 8 --json "$out/peer.json"
run peer-unpaced npm run -s bench:peer -- --model synthetic:small --threads 2 --parallel 8 --inflight-args "--target-itl-ms 0" --json "$out/peer-unpaced.json"
run cluster npm run -s bench:cluster -- --model synthetic:small --replicas 3 --conversations 24 --turns 4 --system-len 200 --input-len 64 --output-len 32 --concurrency 6 --rounds 2 --json "$out/cluster.json"
if [ "${1:-}" = "--soak" ]; then run soak npm run -s bench:soak -- --duration 600 --json "$out/soak.json"; fi
