#!/usr/bin/env bash
# Usage: [GPUS=16] [GPUS_PER_NODE=8] tools/slurm_pipeline.sh PARTITION JOB_NAME PIPELINE_CONFIG \
#            [run_pipeline.py args...]
# Every stage of a pipeline config on a SLURM cluster: one srun task per GPU, each running
# tools/run_pipeline.py --launcher slurm (ranks from SLURM_PROCID / SLURM_NTASKS / SLURM_NODELIST).
# Resumable like the single-machine command: the same line again skips finished stages.
set -x
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
PY_ARGS=${@:4}
DIR=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-python}
PYTHONPATH="$DIR/..":$PYTHONPATH \
srun -p ${PARTITION} \
    --job-name=${JOB_NAME} \
    --gres=gpu:${GPUS_PER_NODE} \
    --ntasks=${GPUS} \
    --ntasks-per-node=${GPUS_PER_NODE} \
    --cpus-per-task=${CPUS_PER_TASK} \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    "$PY" -u "$DIR/run_pipeline.py" ${CONFIG} --launcher="slurm" ${PY_ARGS}
