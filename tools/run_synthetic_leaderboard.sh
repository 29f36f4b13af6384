#!/usr/bin/env bash
# The synthetic leaderboard from scratch: every synthetic pipeline (DRS, CAM baseline, fixed-delta sweep,
# learnable DRS, with and without refinement, the fully supervised upper bound), for each seed, then the
# table tool writes configs/drs/README.md's table and metafile.yml. Resumable: run it again to continue.
#   tools/run_synthetic_leaderboard.sh [SEEDS...]      (default: 0 1)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
SEEDS=("${@:-0 1}")
read -r -a SEEDS <<< "${SEEDS[*]}"
CONFIGS=(
  configs/drs/pipeline_drs_synthetic.py
  configs/drs/pipeline_cam_synthetic.py
  projects/esol/configs/pipeline_esol_synthetic.py
  projects/destruction_learning/configs/pipeline_lldm-mdcm_synthetic.py
  projects/pixel_self_supervision/configs/pipeline_rcm-mam_synthetic.py
  configs/drs/pipeline_drs-learnable_synthetic.py
  configs/drs/pipeline_drs-norefine_synthetic.py
  configs/drs/pipeline_cam-norefine_synthetic.py
  configs/drs/pipeline_drs-learnable-norefine_synthetic.py
  configs/drs/pipeline_drs-fixed0.4-norefine_synthetic.py
  configs/drs/pipeline_drs-fixed0.5-norefine_synthetic.py
  configs/drs/pipeline_drs-fixed0.7-norefine_synthetic.py
  projects/destruction_learning/configs/pipeline_lldm_synthetic.py
  projects/destruction_learning/configs/pipeline_mdcm_synthetic.py
  projects/pixel_self_supervision/configs/pipeline_rcm_synthetic.py
  projects/pixel_self_supervision/configs/pipeline_mam_synthetic.py
)
"$PY" tools/run_demo.py --data-only
for seed in "${SEEDS[@]}"; do
  for cfg in "${CONFIGS[@]}"; do
    name=$(basename "$cfg" .py)
    # seed 0 is `make demo`'s layout (its runs are reused); shared stages (pretraining, supervised
    # bound, stage 1 of the no-refinement rows) live per seed
    root=work_dirs
    [ "$seed" = 0 ] || root=work_dirs/leaderboard/seed$seed
    "$PY" tools/run_pipeline.py "$cfg" --work-dir "$root/$name" \
      --cfg-options pipeline.seed="$seed" --shared-root "$root"
  done
done
"$PY" tools/make_benchmark_table.py work_dirs --metafile-dir configs/drs \
  --metafile-dir projects/esol/configs --metafile-dir projects/destruction_learning/configs \
  --metafile-dir projects/pixel_self_supervision/configs --update-readme configs/drs/README.md \
  --update-readme projects/esol/README.md --update-readme projects/destruction_learning/README.md \
  --update-readme projects/pixel_self_supervision/README.md
