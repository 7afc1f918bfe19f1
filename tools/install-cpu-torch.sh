#!/usr/bin/env bash
# Install the CPU build of torch into the environment of $1 (a python), before the rest.
# On Linux x86_64 the Python package index serves torch with CUDA (a 500 MB wheel plus several
# GB of nvidia-* packages); the CPU build ("+cpu") comes from PyTorch's own CPU index. Where
# pip already finds the +cpu wheel (a local wheel folder or mirror), no other index is asked.
# Elsewhere (macOS, Windows, Linux on ARM) the index's torch is already CPU-only.
set -euo pipefail
python=$1
version=$(sed -n 's/^torch==\([0-9.]*\).*/\1/p' requirements.txt)
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  exit 0
fi
if "$python" -c "import torch, sys; sys.exit(0 if torch.__version__ == '$version+cpu' else 1)" 2>/dev/null; then
  exit 0
fi
"$python" -m pip install --quiet "torch==$version+cpu" 2>/dev/null \
  || "$python" -m pip install --quiet "torch==$version+cpu" --index-url https://download.pytorch.org/whl/cpu \
       --extra-index-url https://pypi.org/simple
