#!/usr/bin/env bash
# Builds llama.cpp's own benchmark binaries (llama-batched-bench, llama-bench) and its server (llama-server) from the exact source
# node-llama-cpp ships (its git bundle), into the git-ignored build-ref/. Same kernels as the engine.
# OpenMP off, as in node-llama-cpp's prebuilt binaries. Native CPU flags, except AMX: on this machine's
# VM a native build's AMX kernels die with SIGILL (tilezero), so AMX is left out and the AVX-512
# features of the CPU are named one by one (GGML_NATIVE would switch AMX back on).
# Needs cmake and a C++ compiler (Debian: apt-get install -y cmake g++). Takes ~10 minutes on 2 cores.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
src="$root/build-ref/llama.cpp"
if [ ! -d "$src" ]; then
  mkdir -p "$root/build-ref"
  git clone -q "$root/node_modules/node-llama-cpp/llama/gitRelease.bundle" "$src"
fi
flags=(-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON)
if grep -q avx512f /proc/cpuinfo 2>/dev/null; then
  flags+=(-DGGML_AVX512=ON)
  grep -q avx512vbmi /proc/cpuinfo && flags+=(-DGGML_AVX512_VBMI=ON)
  grep -q avx512_vnni /proc/cpuinfo && flags+=(-DGGML_AVX512_VNNI=ON)
  grep -q avx512_bf16 /proc/cpuinfo && flags+=(-DGGML_AVX512_BF16=ON)
fi
grep -q avx_vnni /proc/cpuinfo 2>/dev/null && flags+=(-DGGML_AVX_VNNI=ON)
cmake -S "$src" -B "$src/build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DGGML_OPENMP=OFF "${flags[@]}" \
  -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=ON >/dev/null
cmake --build "$src/build" -j"$(nproc)" --target llama-batched-bench llama-bench llama-server
echo "built: $src/build/bin/llama-batched-bench, llama-bench, llama-server"
