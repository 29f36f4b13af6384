#!/usr/bin/env bash
# The synthetic leaderboard from scratch: every synthetic pipeline (DRS, CAM baseline, fixed-delta sweep,
# learnable DRS, with and without refinement, the three projects' methods, the fully supervised upper
# bound), for each seed, then the table tool writes the metafiles and each README's tables (the
# leaderboard and the per-stage table of its own rows next to CAM and DRS). Resumable: run it again to
# continue; finished stages are skipped.
#   tools/run_synthetic_leaderboard.sh [SEEDS...]      (default: 0 1 2)
#   tools/run_synthetic_leaderboard.sh --fp32-check [SEEDS...]
#                      (plain CAM and DRS again in fp32, under work_dirs/leaderboard-fp32: the table
#                      tool then says whether the rows at the machine's precision (bf16 where the
#                      CPU has it) are within seed noise of fp32)
#   tools/run_synthetic_leaderboard.sh --tables-only   (only the tables, from the runs there are)
# The numerics are the machine's (run_pipeline.py --precision auto: bf16 autocast on a CPU with
# native bf16, else fp32); PRECISION=fp32 forces full precision.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
PRECISION=${PRECISION:-auto}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
# the projects' configs import their modules (custom_imports projects.<name>) from the repository
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
FP32_CHECK=(configs/drs/pipelines/pipeline_cam_synthetic.py configs/drs/pipelines/pipeline_drs_synthetic.py)
CONFIGS=(
  configs/drs/pipelines/pipeline_drs_synthetic.py
  configs/drs/pipelines/pipeline_cam_synthetic.py
  configs/drs/pipelines/pipeline_drs-conv5_synthetic.py
  projects/esol/configs/pipelines/pipeline_esol_synthetic.py
  projects/destruction_learning/configs/pipelines/pipeline_lldm-mdcm_synthetic.py
  projects/pixel_self_supervision/configs/pipelines/pipeline_rcm-mam_synthetic.py
  configs/drs/pipelines/pipeline_drs-learnable_synthetic.py
  configs/drs/pipelines/pipeline_drs-norefine_synthetic.py
  configs/drs/pipelines/pipeline_cam-norefine_synthetic.py
  configs/drs/pipelines/pipeline_drs-learnable-norefine_synthetic.py
  configs/drs/pipelines/pipeline_drs-fixed0.4-norefine_synthetic.py
  configs/drs/pipelines/pipeline_drs-fixed0.5-norefine_synthetic.py
  configs/drs/pipelines/pipeline_drs-fixed0.7-norefine_synthetic.py
  projects/esol/configs/pipelines/pipeline_esol-norefine_synthetic.py
  projects/esol/configs/pipelines/pipeline_esol-expand-frozenhead_synthetic.py
  projects/esol/configs/pipelines/pipeline_esol-identity-noclip-norefine_synthetic.py
  projects/destruction_learning/configs/pipelines/pipeline_lldm_synthetic.py
  projects/destruction_learning/configs/pipelines/pipeline_mdcm_synthetic.py
  projects/pixel_self_supervision/configs/pipelines/pipeline_rcm_synthetic.py
  projects/pixel_self_supervision/configs/pipelines/pipeline_mam_synthetic.py
)
# README -> the pipeline work-dir names (globs) whose rows it shows
declare -A ROWS=(
  [configs/drs/README.md]='pipeline_drs*_synthetic pipeline_cam*_synthetic'
  [projects/esol/README.md]='pipeline_cam_synthetic pipeline_cam-norefine_synthetic pipeline_drs_synthetic pipeline_esol*_synthetic'
  [projects/destruction_learning/README.md]='pipeline_cam_synthetic pipeline_drs_synthetic pipeline_lldm_synthetic pipeline_mdcm_synthetic pipeline_lldm-mdcm_synthetic'
  [projects/pixel_self_supervision/README.md]='pipeline_cam_synthetic pipeline_drs_synthetic pipeline_rcm_synthetic pipeline_mam_synthetic pipeline_rcm-mam_synthetic'
)

# seed 0 is `make demo`'s layout (its runs are reused); the other seeds live under work_dirs/leaderboard
root_of() { if [ "$1" = 0 ]; then echo work_dirs; else echo "work_dirs/leaderboard/seed$1"; fi; }

# run_seeds ROOT_OF PRECISION CONFIG... -- SEED...
run_seeds() {
  local root_fn=$1 precision=$2
  shift 2
  local configs=()
  while [ "$1" != -- ]; do configs+=("$1"); shift; done
  shift
  local seeds=("$@")
  [ ${#seeds[@]} = 0 ] && seeds=(0 1 2)
  "$PY" tools/run_demo.py --data-only
  "$PY" -c "from mmwsss.utils.precision import describe_precision, resolve_precision as r
print('[leaderboard] numerics: ' + describe_precision(r('$precision'), False))"
  local seed cfg name root
  for seed in "${seeds[@]}"; do
    root=$($root_fn "$seed")
    local start=$SECONDS
    for cfg in "${configs[@]}"; do
      name=$(basename "$cfg" .py)
      # shared stages (pretraining, the supervised bound, stage 1 of the no-refinement rows) per seed
      "$PY" tools/run_pipeline.py "$cfg" --work-dir "$root/$name" --precision "$precision" \
        --cfg-options pipeline.seed="$seed" --shared-root "$root"
    done
    # wall time of this call for the seed (finished stages are skipped, so a resumed run counts less)
    echo "[leaderboard] seed $seed: ${#configs[@]} pipelines in $(( (SECONDS - start) / 60 )) min" >&2
  done
}

fp32_root_of() { echo "work_dirs/leaderboard-fp32/seed$1"; }

write_tables() {
  "$PY" tools/make_benchmark_table.py work_dirs --metafile-dir configs/drs \
    --metafile-dir projects/esol/configs --metafile-dir projects/destruction_learning/configs \
    --metafile-dir projects/pixel_self_supervision/configs > /dev/null
  local readme pattern root dir patterns dirs
  shopt -s nullglob
  for readme in "${!ROWS[@]}"; do
    read -r -a patterns <<< "${ROWS[$readme]}"  # read does not expand the globs; the loop does
    dirs=()
    for pattern in "${patterns[@]}"; do
      for root in work_dirs work_dirs/leaderboard/seed* work_dirs/leaderboard-fp32/seed*; do
        for dir in "$root"/$pattern; do
          [ -e "$dir" ] && dirs+=("$dir")
        done
      done
    done
    if [ ${#dirs[@]} = 0 ]; then
      echo "$readme: none of its runs has started; table not touched" >&2
      continue
    fi
    "$PY" tools/make_benchmark_table.py "${dirs[@]}" --stages --update-readme "$readme" > /dev/null
  done
  "$PY" tools/make_benchmark_table.py work_dirs --stages
}

main() {
  if [ "${1:-}" = --tables-only ]; then
    shift
  elif [ "${1:-}" = --fp32-check ]; then
    shift
    run_seeds fp32_root_of fp32 "${FP32_CHECK[@]}" -- "$@"
  else
    run_seeds root_of "$PRECISION" "${CONFIGS[@]}" -- "$@"
  fi
  write_tables
}

main "$@"; exit $?  # on one line: bash stops reading this file here, so editing it mid-run is safe
