# Copyright (c) mmwsss contributors. All rights reserved.
"""How local a frozen backbone's features are: the CAMs of a linear probe, scored like stage 1.

    python tools/analysis_tools/probe_cams.py CONFIG [BACKBONE] [--num 500] [--split val] \
        [--batch-size 8] [--weight-decay 5e-4] [--out FILE] [--cfg-options k=v ...]

Stage 1 fine-tunes the whole network for tens of minutes before its maps can be scored. This tool
asks the cheaper question of the backbone alone (an ImageNet stand-in, say): it keeps the backbone
frozen, fits one linear classifier on its globally pooled last features (multi-label logistic
regression, full batch, L-BFGS), puts that classifier in the config's head as its 1x1 ``conv_cls``
(``num_convs=0``: no new conv layers), and scores the resulting maps with the stage's own
``CAMThresholdSweepMetric`` and ``MultiLabelAPMetric``. The probe is fitted and scored on the same
images, the stage's evaluation set, as stage 1 is. It prints the metrics and the per-class table.

BACKBONE is a checkpoint whose ``backbone.`` keys are loaded strictly (the pretraining stage's
``backbone.pth``); without it, the checkpoint of the config's ``model.backbone.init_cfg`` (none: a
randomly initialised backbone).
"""

import argparse
import logging
import os
import os.path as osp
import sys
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


# ------------------------------------------------------------------------------ the probe
def fit_linear_probe(
    features: Tensor, labels: Tensor, weight_decay: float = 5e-4, max_iter: int = 500
) -> Tuple[Tensor, Tensor]:
    """Multi-label logistic regression on pooled features.

    The features are standardised for the fit (L-BFGS converges badly on raw ReLU features of very
    different scales) and the result is folded back, so the returned classifier applies to the raw
    features: ``logits = features @ weight.T + bias``.

    Args:
        features (Tensor): Pooled features (N, C).
        labels (Tensor): Multi-hot image-level labels (N, K).
        weight_decay (float): L2 penalty on the standardised weights. Defaults to 5e-4.
        max_iter (int): L-BFGS iterations. Defaults to 500.

    Returns:
        tuple[Tensor, Tensor]: ``weight`` (K, C) and ``bias`` (K,).

    Raises:
        ValueError: If the shapes disagree or a class is present in every image or in none (a
            classifier for it cannot be fitted).
    """
    if features.dim() != 2 or labels.dim() != 2 or features.shape[0] != labels.shape[0]:
        raise ValueError(
            f'features {tuple(features.shape)} and labels {tuple(labels.shape)} do not match: '
            'expected (N, C) and (N, K)'
        )
    counts = labels.sum(dim=0)
    constant = [k for k, n in enumerate(counts.tolist()) if n in (0, labels.shape[0])]
    if constant:
        raise ValueError(
            f'class indices {constant} are in every image or in none of the {labels.shape[0]}: '
            'no classifier can be fitted for them (use more images)'
        )
    x = features.double()
    y = labels.double()
    mean, std = x.mean(dim=0), x.std(dim=0).clamp_min(1e-6)
    z = (x - mean) / std
    weight = torch.zeros(y.shape[1], x.shape[1], dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(y.shape[1], dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS(
        [weight, bias], lr=1.0, max_iter=max_iter, line_search_fn='strong_wolfe'
    )

    def closure() -> Tensor:
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(z @ weight.T + bias, y)
        loss = loss + 0.5 * weight_decay * weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        raw_weight = weight / std
        raw_bias = bias - raw_weight @ mean
    return raw_weight.float(), raw_bias.float()


def load_backbone(backbone: torch.nn.Module, filename: str) -> None:
    """Load a checkpoint's ``backbone.`` weights strictly (a BN-trained classifier's own checkpoint,
    whose BN layers the BN-free backbone lacks, is refused by name rather than half loaded).

    Raises:
        FileNotFoundError: No such file.
        RuntimeError: The weights do not fit the backbone (missing / unexpected keys, shapes).
    """
    from mmwsss.apis import check_checkpoint_fits
    from mmwsss.utils.checkpoint import load_local_checkpoint

    if not osp.isfile(filename):
        raise FileNotFoundError(f'backbone checkpoint {filename} does not exist')
    checkpoint = load_local_checkpoint(filename, map_location='cpu')
    state_dict = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else {}
    prefix = 'backbone.'
    own = {k[len(prefix) :]: v for k, v in state_dict.items() if k.startswith(prefix)}
    check_checkpoint_fits(backbone, own, filename)
    backbone.load_state_dict(own)


# ------------------------------------------------------------------------------ the tool
def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    from mmwsss.utils import add_common_args

    parser = argparse.ArgumentParser(
        description="CAMs of a linear probe on a frozen backbone, scored as stage 1's maps"
    )
    add_common_args(
        parser, 'stage-1 config (a CAMClassifier: its backbone, data and metrics)', runner=False
    )
    parser.add_argument(
        'backbone',
        nargs='?',
        help="checkpoint with 'backbone.' keys (default: the config's model.backbone.init_cfg)",
    )
    parser.add_argument('--num', type=int, default=500, help='images to fit and score (500)')
    parser.add_argument(
        '--split',
        choices=['train', 'val', 'test'],
        default='val',
        help="dataset of <split>_dataloader (default val: the set stage 1's maps are scored on)",
    )
    parser.add_argument('--batch-size', type=int, default=8, help='images per forward pass')
    parser.add_argument(
        '--weight-decay', type=float, default=5e-4, help='L2 penalty of the probe (5e-4)'
    )
    parser.add_argument('--out', help='also write the metrics to this file')
    args = parser.parse_args(argv)
    return args


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    from mmengine.logging import MMLogger

    from mmwsss.apis import init_dataset, init_model, preprocessed_batches
    from mmwsss.evaluation.metrics import CAMThresholdSweepMetric, MultiLabelAPMetric
    from mmwsss.utils import setup_cfg

    if args.num < 2 or args.batch_size < 1:
        print('error: --num must be at least 2 and --batch-size positive', file=sys.stderr)
        return 1
    if args.out:  # before the minute of work, not after it
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    logger = MMLogger.get_current_instance()
    logger.setLevel(logging.WARNING)  # init_weights' per-tensor report
    try:
        cfg = setup_cfg(args, for_runner=False)
        source = args.backbone or (cfg.model.backbone.get('init_cfg') or {}).get('checkpoint')
        cfg.model.backbone.init_cfg = None  # loaded strictly below, not by init_weights
        cfg.model.decode_head.num_convs = 0  # the probe: the 1x1 classifier on the backbone
        model = init_model(cfg, init_weights=True)
        if source is not None:
            load_backbone(model.backbone, source)
        model.eval()
        dataset = init_dataset(cfg, args.split)
        num = min(args.num, len(dataset))
        pooled, labels = [], []
        with torch.no_grad():
            for inputs, samples in preprocessed_batches(model, dataset, num, args.batch_size):
                feats = model.extract_feat(inputs)[model.decode_head.in_index]
                pooled.append(feats.mean(dim=(2, 3)))
                labels.append(model.decode_head.stack_labels(samples))
        weight, bias = fit_linear_probe(
            torch.cat(pooled), torch.cat(labels).float(), args.weight_decay
        )
        conv = model.decode_head.conv_cls
        with torch.no_grad():
            conv.weight.copy_(weight.reshape(conv.weight.shape))
            conv.bias.copy_(bias)
        metrics = [CAMThresholdSweepMetric(), MultiLabelAPMetric()]
        for metric in metrics:
            metric.dataset_meta = dataset.metainfo
        logger.setLevel(logging.INFO)  # the sweep metric's per-class table
        with torch.no_grad():
            for inputs, samples in preprocessed_batches(model, dataset, num, args.batch_size):
                predictions = model.predict(inputs, samples)
                for metric in metrics:
                    metric.process(None, predictions)
        results = {}
        for metric in metrics:
            results.update(metric.evaluate(num))
    except (FileNotFoundError, KeyError, ValueError, RuntimeError) as e:
        message = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f'error: {message}', file=sys.stderr)
        return 1
    keys = [
        'best_threshold',
        'best_mIoU',
        'best_fgPrecision',
        'best_fgRecall',
        'best_partRecall',
        'best_bodyRecall',
        'multi-label/mAP',
    ]
    lines = [f'{key}: {results[key]:.2f}' for key in keys if key in results]
    summary = (
        f'linear probe on the frozen backbone ({source}), fitted and scored on {num} '
        f'{args.split} images of {args.config}:\n' + '\n'.join(lines)
    )
    print(summary)
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as f:
            f.write(summary + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
