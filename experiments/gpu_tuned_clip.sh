#!/usr/bin/env bash
# The full tuned-CLIP recipe, declared in the README before it was run, for a machine with a GPU:
#   1. the cost of tuning against K on this GPU (and that inference costs what the frozen clip costs);
#   2. leave one source out over the five shared sources, every item, K = 12, 5 epochs;
#   3. the recommended detector: norms tuned on all five sources, then the linear probe on them.
# Each step writes into runs/ (git-ignored); copy the results.json files into results/ to quote them.
# Run from the repository root: bash experiments/gpu_tuned_clip.sh [DEVICE]
set -euo pipefail
DEVICE="${1:-cuda}"
D=../shared/data
CACHE="${FACETRUTH_CACHE:-/tmp/ft-cache}"
SOURCES=("$D/hardfake" "$D/ciplab" "$D/ffhq_sg1" "$D/faceswap" "$D/dfdc")

facetruth doctor
python benchmarks/bench_clip_tune.py --n 64 --blocks 0,2,4,12 --device "$DEVICE" --out runs/bench_clip_tune_gpu/results.json
python experiments/clip_tune_loso.py --last-blocks 12 --epochs 5 --pseudo-fakes 0.5 --augment robust \
    --device "$DEVICE" --cache "$CACHE" --out runs/tune_loso_gpu
facetruth tune --data "${SOURCES[@]}" --last-blocks 12 --epochs 5 --pseudo-fakes sbi:0.5 --augment robust \
    --device "$DEVICE" --cache "$CACHE" --checkpoint runs/tuned/tune.pt --out runs/tuned/norms.npz
facetruth train --data "${SOURCES[@]}" --clip-norms runs/tuned/norms.npz --classifier linear_probe \
    --device "$DEVICE" --cache "$CACHE" --out runs/tuned/five_sources_tuned_clip.joblib
