#!/usr/bin/env bash
# The full tuned-CLIP recipe, declared in the README before it was run, for a machine with a GPU:
#   1. the cost of tuning against K on this GPU (and that inference costs what the frozen clip costs);
#   2. leave one source out over the five shared sources, every item, K = 12, 5 epochs;
#   3. the recommended detector: norms tuned on all five sources, then the linear probe on them, timed from a
#      cold cache beside the frozen probe on the same items (runs/tuned_detector_gpu/results.json).
# Each step writes into runs/ (git-ignored); copy the results.json files into results/ to quote them.
# Run from the repository root: bash experiments/gpu_tuned_clip.sh [DEVICE]
set -euo pipefail
DEVICE="${1:-cuda}"
CACHE="${FACETRUTH_CACHE:-/tmp/ft-cache}"

facetruth doctor
python benchmarks/bench_clip_tune.py --n 64 --blocks 0,2,4,12 --device "$DEVICE" --out runs/bench_clip_tune_gpu/results.json
python -m experiments.clip_tune_loso --last-blocks 12 --epochs 5 --pseudo-fakes 0.5 --augment robust \
    --device "$DEVICE" --cache "$CACHE" --out runs/tune_loso_gpu
python -m experiments.tuned_detector --per-class 0 --last-blocks 12 --epochs 5 --pseudo-fakes sbi:0.5 \
    --augment robust --device "$DEVICE" --out runs/tuned_detector_gpu
