#!/usr/bin/env bash
# On a machine with a CUDA GPU: the GPU tests, then the GPU embedding benchmark, whose
# result (bench/results/gpu.json) names the GPU. A few minutes; needs `make dev-install`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
"$BIN/python" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'no GPU: torch.cuda.is_available() is False')"
"$BIN/pytest" -q -p no:cacheprovider -m gpu tests/inference
"$BIN/python" -m bench.gpu
