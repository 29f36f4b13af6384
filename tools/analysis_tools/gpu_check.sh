#!/usr/bin/env bash
# Copyright (c) mmwsss contributors. All rights reserved.
#
# The GPU figures of docs/benchmark.md, in one run of at most 8 minutes on one GPU:
#   (i)   full-size DRS-VGG16 (learnable DRS, x1) stage-1 training at 320x320, batch 10: the plain
#         step in fp32 / fp16 autocast (interleaved) and MMEngine Runner runs with OptimWrapper
#         and with AmpOptimWrapper (fp16, dynamic loss scaling): s/iter each;
#   (ii)  maps + pseudo labels at the paper's scales (256/320/384) on synthetic 320x320 images:
#         the per-image fp32 loop, PseudoLabelLoop fp32 and precision='auto' (fp16 on CUDA);
#   (iii) a 1-GPU torchrun: an nccl all_reduce, then tools/train.py --launcher pytorch training a
#         synthetic stage for one epoch (with validation).
# It ends with a markdown block to paste into docs/benchmark.md. Nothing here is needed to use
# the project: a GPU is optional.
#
#   tools/analysis_tools/gpu_check.sh               # on a machine with a CUDA GPU
#   tools/analysis_tools/gpu_check.sh --cpu-smoke   # the same commands, tiny, on the CPU (gloo):
#                                                   # checks the script, measures nothing useful
# Environment: PYTHON (default .venv/bin/python), GPU_CHECK_OUT (also write the block there),
# GPU_CHECK_BUDGET_S (seconds for the whole run, default 450; steps are cut at their share).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
SMOKE=0
case "${1:-}" in
  --cpu-smoke) SMOKE=1 ;;
  "") ;;
  *) echo "usage: $0 [--cpu-smoke]" >&2; exit 2 ;;
esac

if [ ! -x "$PY" ]; then
  echo "gpu_check: no python at $PY; set up the environment first" \
    "(tools/setup_env.sh, or make test)" >&2
  exit 2
fi
export OMP_WAIT_POLICY=PASSIVE
if [ "$SMOKE" = 0 ]; then
  if ! "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)'; then
    echo "gpu_check: no CUDA GPU here (torch.cuda.is_available() is False): this script measures" \
      "a GPU and has nothing to run on this machine. The CPU figures come from" \
      "tools/analysis_tools/benchmark.py; '$0 --cpu-smoke' checks the script's commands" \
      "on the CPU." >&2
    exit 3
  fi
fi

START=$(date +%s)
BUDGET="${GPU_CHECK_BUDGET_S:-450}"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/mmwsss-gpu-check-XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
TORCHRUN="$(dirname "$PY")/torchrun"
[ -x "$TORCHRUN" ] || TORCHRUN="$PY -m torch.distributed.run"
PORT=$((29500 + RANDOM % 1000))

if [ "$SMOKE" = 1 ]; then
  DEVICE=cpu
  BENCH_ARGS=(--device cpu --widen-factor 0.0625 --size 32 --batch 2 --classes 4 --warmup 1
              --prec-pairs 2 --amp-rounds 1 --iters 2 --gen-images 4 --gen-batch 2 --gen-rounds 1
              --matmul-n 256)
  TRAIN_IMAGES=20
else
  DEVICE=cuda
  # the paper's size (--full: DRS-VGG16 x1, 320x320, batch 10, 12 classes), enough rounds for
  # stable medians on a dedicated GPU, 4 data-loader workers per loop so the data keeps up
  BENCH_ARGS=(--device cuda --full --warmup 3 --prec-pairs 20 --amp-rounds 2 --iters 20
              --workers 4 --gen-images 100 --gen-batch 10 --gen-rounds 3 --gen-workers 4)
  TRAIN_IMAGES=100
fi

remaining() { echo $((BUDGET - ($(date +%s) - START))); }
step_limit() {  # the smaller of a step's own limit and what is left of the budget
  local left
  left=$(remaining)
  if [ "$left" -lt 10 ]; then
    echo 10
  elif [ "$left" -lt "$1" ]; then
    echo "$left"
  else
    echo "$1"
  fi
}
STATUS=()

echo "[gpu_check] device $DEVICE, budget ${BUDGET} s, scratch $TMP"

# ---------------------------------------------------------------- (i) training and (ii) generation
set +e
timeout "$(step_limit 330)" "$PY" tools/analysis_tools/benchmark.py "${BENCH_ARGS[@]}" \
  --sections precision gen flops --work-dir "$TMP/bench" --out "$TMP/bench.md" \
  2>&1 | tee "$TMP/bench.log"
BENCH_RC=${PIPESTATUS[0]}
set -e
STATUS+=("benchmark.py (training precision, AMP Runner runs, generation): exit $BENCH_RC")

# ------------------------------------------------------------------- (iii) torchrun, 1 process
cat > "$TMP/nccl_check.py" <<'EOF'
# One collective through the backend the entry points use (nccl with CUDA, gloo without).
import os

import torch
import torch.distributed as dist

cuda = torch.cuda.is_available()
backend = 'nccl' if cuda else 'gloo'
if cuda:
    torch.cuda.set_device(int(os.environ['LOCAL_RANK']))
dist.init_process_group(backend=backend)
x = torch.ones(4, device='cuda' if cuda else 'cpu') * (dist.get_rank() + 1)
dist.all_reduce(x)
ok = bool(torch.all(x == sum(range(1, dist.get_world_size() + 1))))
print(f'NCCL_CHECK backend={dist.get_backend()} world_size={dist.get_world_size()} '
      f'all_reduce={"ok" if ok else "WRONG"} nccl_version='
      f'{".".join(map(str, torch.cuda.nccl.version())) if cuda else "n/a"}', flush=True)
dist.destroy_process_group()
EOF
set +e
timeout "$(step_limit 60)" $TORCHRUN --nproc_per_node 1 --master_port "$PORT" \
  "$TMP/nccl_check.py" 2>&1 | tee "$TMP/nccl.log"
NCCL_RC=${PIPESTATUS[0]}
set -e
STATUS+=("torchrun all_reduce: exit $NCCL_RC")

# the embedded benchmark's DRS stage 1 (whatever its image size is named in the file name)
CONFIG="$(ls configs/drs/drs-learnable_vgg16-x0.25_*synthetic*.py 2>/dev/null | head -n 1)"
if [ -z "$CONFIG" ]; then
  echo "gpu_check: no configs/drs/drs-learnable_vgg16-x0.25_*synthetic*.py to train" >&2
  exit 1
fi
SIDE="$(basename "$CONFIG" .py | sed -n 's/.*-\([0-9][0-9]*\)x[0-9][0-9]*$/\1/p')"
SIDE="${SIDE:-64}"
"$PY" -c "from mmwsss.datasets import generate_synthetic_benchmark as g; \
g('$TMP/synthetic', num_train=$TRAIN_IMAGES, num_val=0, image_size=$SIDE, seed=0, \
  write_parts=True)" >/dev/null
TRAIN_START=$(date +%s)
set +e
timeout "$(step_limit 150)" $TORCHRUN --nproc_per_node 1 --master_port $((PORT + 1)) \
  tools/train.py "$CONFIG" --launcher pytorch --work-dir "$TMP/ddp" \
  --cfg-options model.backbone.init_cfg=None "train_dataloader.dataset.data_root=$TMP/synthetic" \
  "val_dataloader.dataset.data_root=$TMP/synthetic" \
  "test_dataloader.dataset.data_root=$TMP/synthetic" \
  custom_hooks=[] train_cfg.max_epochs=1 train_cfg.val_interval=1 default_hooks.logger.interval=2 \
  > "$TMP/train.log" 2>&1
TRAIN_RC=$?
set -e
if [ "$TRAIN_RC" = 0 ]; then tail -n 15 "$TMP/train.log"; else tail -n 80 "$TMP/train.log"; fi
TRAIN_S=$(($(date +%s) - TRAIN_START))
STATUS+=("torchrun tools/train.py --launcher pytorch: exit $TRAIN_RC")

# ----------------------------------------------------------------------------- the markdown block
"$PY" - "$TMP" "$DEVICE" "$SMOKE" "$TRAIN_S" "$TRAIN_IMAGES" "$(($(date +%s) - START))" "$CONFIG" \
  "$SIDE" \
  "${STATUS[@]}" > "$TMP/block.md" <<'EOF'
import datetime
import glob
import json
import os.path as osp
import platform
import sys

import torch

tmp, device, smoke, train_s, images, total_s, config, side = sys.argv[1:9]
status = sys.argv[9:]
out = ['## GPU check (tools/analysis_tools/gpu_check.sh)', '']
if smoke == '1':
    out += ['**CPU smoke run (--cpu-smoke): tiny sizes on the CPU, gloo instead of nccl; it '
            'checks the script, its figures mean nothing.**', '']
when = datetime.datetime.now().strftime('%Y-%m-%d %H:%M')
gpu = (f'{torch.cuda.get_device_name(0)} ({torch.cuda.device_count()} visible), CUDA '
       f'{torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}, driver: see nvidia-smi'
       if torch.cuda.is_available() else 'none')
out += [f'Run {when}, {total_s} s in all; GPU: {gpu}; torch {torch.__version__}, Python '
        f'{platform.python_version()}.', '']
out += ['Steps: ' + '; '.join(status) + '.', '']
bench = osp.join(tmp, 'bench.md')
if osp.isfile(bench):
    text = open(bench).read().replace('## Benchmark figures', '### Benchmark figures')
    out += [text.replace('\n### ', '\n#### ').strip(), '']
else:
    out += ['benchmark.py wrote no figures (see its output above).', '']
nccl = [ln for ln in open(osp.join(tmp, 'nccl.log')).read().splitlines()
        if ln.startswith('NCCL_CHECK')] if osp.isfile(osp.join(tmp, 'nccl.log')) else []
out += ['### torchrun, 1 process', '',
        '- collective: ' + (nccl[-1][len('NCCL_CHECK '):] if nccl else 'no result (failed)')]
scalars = sorted(glob.glob(osp.join(tmp, 'ddp', '*', 'vis_data', 'scalars.json')))
losses, metrics = [], {}
if scalars:
    for line in open(scalars[-1]):
        rec = json.loads(line)
        if 'loss' in rec:
            losses.append((rec.get('iter', rec.get('step')), rec['loss']))
        for key, value in rec.items():
            if ('mIoU' in key or 'mAP' in key) and '@' not in key:
                metrics[key] = value
log_path = osp.join(tmp, 'train.log')
train_log = open(log_path).read() if osp.isfile(log_path) else ''
launcher = 'pytorch' if 'Distributed launcher: pytorch' in train_log else 'not seen in the log'
summary = (f'{len(losses)} logged iterations, loss {losses[0][1]:.4f} -> {losses[-1][1]:.4f}'
           if losses else 'no training log found (failed)')
if metrics:
    summary += '; validation ' + ', '.join(f'{k} {v:.2f}' for k, v in sorted(metrics.items()))
out += [f'- `tools/train.py {config} --launcher pytorch` ({images} synthetic {side}x{side} images, '
        f'one epoch, then validation; launcher {launcher}): {summary}; {train_s} s including '
        'start-up.', '']
print('\n'.join(out))
EOF

echo
cat "$TMP/block.md"
if [ -n "${GPU_CHECK_OUT:-}" ]; then
  cp "$TMP/block.md" "$GPU_CHECK_OUT"
  echo "[gpu_check] block written to $GPU_CHECK_OUT"
fi
echo "[gpu_check] done in $(($(date +%s) - START)) s"
if [ "$BENCH_RC" != 0 ] || [ "$NCCL_RC" != 0 ] || [ "$TRAIN_RC" != 0 ]; then
  echo "[gpu_check] a step failed: ${STATUS[*]}" >&2
  exit 1
fi
