#!/usr/bin/env bash
# Builds the release binaries and runs the side-by-side measurement (bench/compare_original.py).
#
#   bench/run_comparison.sh [PATH/TO/ORIGINAL/vendored_rules_loader.py] [extra compare_original.py args]
#
# The original loader is not in this repository: see bench/compare_original.py for how to get it
# (default path: .cache/original/vendored_rules_loader.py). Python needs PyYAML (default
# interpreter: $PYTHON, else .cache/venv/bin/python, else python3).
set -euo pipefail
cd "$(dirname "$0")/.."
loader="${1:-.cache/original/vendored_rules_loader.py}"
shift || true
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -p llemc --bin llemc
cargo build --release -p llemc-runtime --example throughput
python="${PYTHON:-.cache/venv/bin/python}"
[ -x "$python" ] || python=python3
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)" >&2
echo "uptime: $(uptime)" >&2
"$python" bench/compare_original.py --original-loader "$loader" \
  --llemc "$target/release/llemc" --throughput "$target/release/examples/throughput" "$@"
