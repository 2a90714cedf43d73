#!/usr/bin/env bash
# The GPU check, run once on a machine with an NVIDIA GPU, CuPy and PyTorch (CUDA), from the
# repository root:  bash benchmarks/gpu_check.sh
# Runs tests/test_gpu.py, a set of CPU test modules, and the gpu + nn benchmarks; logs and
# bench.json go to $OUT (default /tmp). Every step runs (a failure does not stop the next) under
# a time limit, so the whole script stays under 6 minutes; it prints one summary line of exit
# codes and exits 0.
set -u
export PYTHONPATH=$PWD
OUT=${OUT:-/tmp}
mkdir -p "$OUT"

echo "== versions"
python3 - <<'EOF' 2>&1 | tee "$OUT/versions.log"
import sys
print("python", sys.version.split()[0])
for name in ("numpy", "cupy", "torch", "pytest"):
    try:
        module = __import__(name)
        print(name, module.__version__)
    except Exception as e:
        print(name, "NOT AVAILABLE:", type(e).__name__, e)
try:
    import cupy
    print("cupy devices:", cupy.cuda.runtime.getDeviceCount(),
          "sum check:", float((cupy.arange(3.0) * 2).sum()))
except Exception as e:
    print("CUPY CANNOT USE THE GPU:", type(e).__name__, e)
try:
    import torch
    print("torch cuda:", torch.cuda.is_available(),
          torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")
except Exception as e:
    print("torch cuda: NOT AVAILABLE:", type(e).__name__, e)
EOF
nvidia-smi -L 2>&1 | tee -a "$OUT/versions.log"

# test_gpu.py: --maxfail instead of -x, so that one run reports every failing op row (each is
# cheap); -n 4 compiles CuPy's kernels in parallel on a fresh machine.
echo "== tests/test_gpu.py"
timeout 130 python3 -m pytest -q -n 4 --maxfail=40 -p no:cacheprovider tests/test_gpu.py \
    2>&1 | tee "$OUT/test_gpu.log"
rc_gpu=${PIPESTATUS[0]}

echo "== CPU test modules"
timeout 120 python3 -m pytest -q -n 8 -p no:cacheprovider tests/test_conv.py \
    tests/test_save_load.py tests/test_dataloaders.py tests/test_steps.py \
    tests/test_compat_examples_part2.py 2>&1 | tee "$OUT/test_cpu.log"
rc_cpu=${PIPESTATUS[0]}

echo "== benchmarks gpu nn"
timeout 100 python3 benchmarks/run.py gpu nn --json "$OUT/bench.json" 2>&1 | tee "$OUT/bench.log"
rc_bench=${PIPESTATUS[0]}

echo "SUMMARY exit codes: test_gpu=$rc_gpu cpu_tests=$rc_cpu bench=$rc_bench" \
    "(124 = timed out; 5 = no tests ran, e.g. the GPU module skipped)" | tee "$OUT/summary.log"
exit 0
