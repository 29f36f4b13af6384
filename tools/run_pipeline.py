# Copyright (c) mmwsss contributors. All rights reserved.
"""Run a whole WSSS pipeline (every stage of a pipeline config, in order), resumably.

Examples::

    python tools/run_pipeline.py configs/drs/pipeline_drs_synthetic.py
    torchrun --nproc_per_node 8 tools/run_pipeline.py configs/drs/pipeline_drs_voc12aug.py --launcher pytorch
    srun -p PARTITION --ntasks 16 --ntasks-per-node 8 --gres gpu:8 \
        python tools/run_pipeline.py configs/drs/pipeline_drs_voc12aug.py --launcher slurm
    GPUS=16 tools/slurm_pipeline.sh PARTITION JOB configs/drs/pipeline_drs_voc12aug.py  # the same

Under ``--launcher slurm`` each task reads its rank, the number of tasks and the master host from
SLURM's variables (``SLURM_PROCID``, ``SLURM_NTASKS``, ``SLURM_LOCALID``, ``SLURM_NODELIST``;
``MASTER_PORT`` defaults to 29500): MMEngine's ``init_dist('slurm')`` with CUDA (nccl), gloo
without.

Killed and started again with the same command, it skips finished stages and resumes the current one
from its last checkpoint.
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Optional

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..')))

from mmengine.config import Config, DictAction  # noqa: E402

import mmwsss  # noqa: E402,F401
from mmwsss.apis.pipeline_runner import PipelineRunner  # noqa: E402
from mmwsss.utils.precision import PRECISIONS  # noqa: E402
from mmwsss.utils.stage_table import format_stage_table  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Run the stages of a WSSS pipeline config')
    parser.add_argument('config', help='pipeline config file')
    parser.add_argument('--work-dir', help='where the stage work dirs go (default work_dirs/<config>)')
    parser.add_argument('--only', nargs='+', help='run only these stages (earlier ones must be done)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='overrides of the pipeline config itself, e.g. pipeline.seed=1')
    parser.add_argument(
        '--stage-cfg-options', nargs='+', action=DictAction,
        help='overrides applied to every stage config, e.g. train_dataloader.num_workers=0')
    parser.add_argument(
        '--shared-root', help='put the stages that have their own work_dir (work_dirs/...) under this folder')
    parser.add_argument(
        '--precision', choices=PRECISIONS, default='auto',
        help="numerics of every stage: 'auto' (default: bf16 autocast on a CPU with native bf16, "
        "fp16 AMP on CUDA, else fp32) or forced ('fp32' reproduces a CPU without bf16)")
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none',
                        help='job launcher: torchrun (pytorch) or srun (slurm)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    runner = PipelineRunner(
        cfg, args.config, work_dir=args.work_dir, launcher=args.launcher,
        stage_cfg_options=args.stage_cfg_options, only=args.only,
        shared_root=args.shared_root, precision=args.precision)
    summary = runner.run()
    rank = os.environ.get('RANK', os.environ.get('SLURM_PROCID', 0) if args.launcher == 'slurm' else 0)
    if int(rank) == 0:
        print(format_stage_table(summary))
    return 0


if __name__ == '__main__':
    sys.exit(main())
