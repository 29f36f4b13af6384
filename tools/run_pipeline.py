# Copyright (c) mmwsss contributors. All rights reserved.
"""Run a whole WSSS pipeline (every stage of a pipeline config, in order), resumably.

Examples::

    python tools/run_pipeline.py configs/drs/pipelines/pipeline_drs_synthetic.py
    torchrun --nproc_per_node 8 tools/run_pipeline.py \
        configs/drs/pipelines/pipeline_drs_voc12aug.py --launcher pytorch
    srun -p PARTITION --ntasks 16 --ntasks-per-node 8 --gres gpu:8 \
        python tools/run_pipeline.py configs/drs/pipelines/pipeline_drs_voc12aug.py --launcher slurm
    GPUS=16 tools/slurm_pipeline.sh PARTITION JOB \
        configs/drs/pipelines/pipeline_drs_voc12aug.py  # the same

Under ``--launcher slurm`` each task reads its rank, the number of tasks and the master host from
SLURM's variables (``SLURM_PROCID``, ``SLURM_NTASKS``, ``SLURM_LOCALID``, ``SLURM_NODELIST``;
``MASTER_PORT`` defaults to 29500): MMEngine's ``init_dist('slurm')`` with CUDA (nccl), gloo
without.

Killed and started again with the same command, it skips finished stages and resumes the current one
from its last checkpoint.
"""

import argparse
import os
import sys
from typing import List, Optional

from mmengine.config import DictAction

from mmwsss.apis import PipelineRunner
from mmwsss.utils import add_common_args, setup_cfg
from mmwsss.utils.precision import PRECISIONS

from make_benchmark_table import format_stage_table  # isort: skip  (the tool beside this one)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Run the stages of a WSSS pipeline config')
    add_common_args(parser, 'pipeline config file')
    parser.add_argument(
        '--only', nargs='+', help='run only these stages (earlier ones must be done)'
    )
    parser.add_argument(
        '--stage-cfg-options',
        nargs='+',
        action=DictAction,
        help='overrides applied to every stage config, e.g. train_dataloader.num_workers=0',
    )
    parser.add_argument(
        '--shared-root',
        help='put the stages that have their own work_dir (work_dirs/...) under this folder',
    )
    parser.add_argument(
        '--precision',
        choices=PRECISIONS,
        default='auto',
        help="numerics of every stage: 'auto' (default: bf16 autocast on a CPU with native bf16, "
        "fp16 AMP on CUDA, else fp32) or forced ('fp32' reproduces a CPU without bf16)",
    )
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    cfg = setup_cfg(args, for_runner=False)  # the pipeline config: its --cfg-options, no Runner
    runner = PipelineRunner(
        cfg,
        args.config,
        work_dir=args.work_dir,
        launcher=args.launcher,
        stage_cfg_options=args.stage_cfg_options,
        only=args.only,
        shared_root=args.shared_root,
        precision=args.precision,
    )
    summary = runner.run()
    rank = os.environ.get(
        'RANK', os.environ.get('SLURM_PROCID', 0) if args.launcher == 'slurm' else 0
    )
    if int(rank) == 0:
        print(format_stage_table(summary))
    return 0


if __name__ == '__main__':
    sys.exit(main())
