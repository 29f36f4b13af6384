# Copyright (c) mmwsss contributors. All rights reserved.
"""Run a tool of the installed mmseg wheel (``mmseg/.mim/tools/``) on mmwsss configs, as
``mim run mmseg NAME`` would::

    python tools/mmseg_tool.py --list
    python tools/mmseg_tool.py get_flops CONFIG --shape 256
    python tools/mmseg_tool.py benchmark CONFIG CHECKPOINT --work-dir DIR
    python tools/mmseg_tool.py print_config CONFIG [--graph]
    python tools/mmseg_tool.py test CONFIG CHECKPOINT --out PRED_DIR
    python tools/mmseg_tool.py confusion_matrix CONFIG PRED_DIR SAVE_DIR
    python tools/mmseg_tool.py analyze_logs WORK_DIR/<t>/vis_data/<t>.json --keys loss --out a.png

``NAME`` is a script's name (``get_flops``) or its path under the tools folder
(``analysis_tools/browse_dataset``); the other arguments go to the script unchanged, and
``NAME --help`` shows its own help. The script runs as MMSeg ships it, with three things done
first:

- the repository root goes on ``sys.path`` (the projects' configs import ``projects.<name>``;
  running a wheel tool directly needs ``PYTHONPATH=.`` for that);
- mmseg 1.2.2's ``get_flops.py`` passes both ``input_shape`` and ``inputs`` to MMEngine's
  ``get_model_complexity_info``, which MMEngine >= 0.7.3 refuses for every model ("cannot be both
  set"; fixed in MMSeg after 1.2.2, open-mmlab/mmsegmentation#3551): ``input_shape`` is dropped
  when ``inputs`` are given, as that fix does;
- mmseg 1.2.2's ``confusion_matrix.py`` forms ``num_classes * gt + pred`` in uint8, which wraps
  around from 16 classes on (VOC has 21, COCO 81) and silently miscounts: it is formed in int64.

The models need no other help: mmwsss's segmentors follow MMSeg's conventions (``decode_head``,
``pretrained``, tensor mode), so the scripts build, load and run them as they do MMSeg's own.
"""

import functools
import glob
import importlib.util
import os.path as osp
import sys
from types import ModuleType
from typing import Callable, Dict, List

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
_FILE = 'tools/mmseg_tool.py'


def mmseg_tools_dir() -> str:
    """The tools folder of the installed mmseg (``mmseg/.mim/tools``)."""
    import mmseg

    folder = osp.join(osp.dirname(mmseg.__file__), '.mim', 'tools')
    if not osp.isdir(folder):
        sys.exit(
            f'{_FILE}: the installed mmseg ({osp.dirname(mmseg.__file__)}) ships no '
            'tools folder (.mim/tools); install the mmsegmentation wheel (make setup).'
        )
    return folder


def list_tools() -> List[str]:
    """The scripts under the tools folder, as paths relative to it without ``.py``."""
    folder = mmseg_tools_dir()
    paths = glob.glob(osp.join(folder, '**', '*.py'), recursive=True)
    return sorted(
        osp.splitext(osp.relpath(p, folder))[0]
        for p in paths
        if not osp.basename(p).startswith('_')
    )


def find_tool(name: str) -> str:
    """The path of tool ``name``: a script name (``get_flops``) or a relative path
    (``misc/browse_dataset``), ``.py`` optional."""
    name = name[:-3] if name.endswith('.py') else name
    tools = list_tools()
    found = [t for t in tools if t == name or (('/' not in name) and osp.basename(t) == name)]
    if len(found) != 1:
        what = 'matches several tools' if found else 'is not a tool of the mmseg wheel'
        sys.exit(f'{_FILE}: {name!r} {what}; give one of:\n  ' + '\n  '.join(found or tools))
    return osp.join(mmseg_tools_dir(), found[0] + '.py')


# ---------------------------------------------------------------------- #
# fixes of the 1.2.2 scripts for the pinned stack
# ---------------------------------------------------------------------- #
def _fix_get_flops(module: ModuleType) -> None:
    """Give MMEngine's get_model_complexity_info ``inputs`` or ``input_shape``, not both."""
    original = module.get_model_complexity_info

    @functools.wraps(original)
    def get_model_complexity_info(model, input_shape=None, *args, inputs=None, **kwargs):
        if inputs is not None:
            input_shape = None
        return original(model, input_shape, *args, inputs=inputs, **kwargs)

    module.get_model_complexity_info = get_model_complexity_info


def _fix_confusion_matrix(module: ModuleType) -> None:
    """Count ``num_classes * gt + pred`` in int64 (uint8 wraps around from 16 classes on)."""
    import numpy as np

    def calculate_confusion_matrix(dataset, results):
        """The confusion matrix (rows: ground truth, columns: prediction) of ``results`` (one
        label map per image, in the dataset's order) against the dataset's masks."""
        n = len(dataset.METAINFO['classes'])
        if len(dataset) != len(results):
            raise ValueError(f'{_FILE}: {len(results)} predictions for {len(dataset)} images.')
        matrix = np.zeros((n, n), dtype=np.int64)
        for idx, pred in enumerate(results):
            gt = dataset[idx]['data_samples'].gt_sem_seg.data.squeeze().numpy()
            gt = gt.astype(np.uint8).ravel()
            pred = np.asarray(pred).ravel()
            if dataset.reduce_zero_label:
                gt = gt - 1  # uint8: 0 becomes 255, as the script has it
            keep = gt != dataset.ignore_index
            gt, pred = gt[keep].astype(np.int64), pred[keep].astype(np.int64)
            if pred.size and (pred.min() < 0 or pred.max() >= n):
                raise ValueError(
                    f'{_FILE}: prediction {idx} has labels outside [0, {n}) '
                    f'({sorted(set(np.unique(pred)) - set(range(n)))[:5]}).'
                )
            matrix += np.bincount(n * gt + pred, minlength=n * n).reshape(n, n)
        return matrix.astype(np.float64)

    module.calculate_confusion_matrix = calculate_confusion_matrix


FIXES: Dict[str, Callable[[ModuleType], None]] = {
    'analysis_tools/get_flops': _fix_get_flops,
    'analysis_tools/confusion_matrix': _fix_confusion_matrix,
}


def run_tool(name: str, argv: List[str]) -> None:
    """Run tool ``name`` with the command-line arguments ``argv``."""
    path = find_tool(name)
    key = osp.splitext(osp.relpath(path, mmseg_tools_dir()))[0]
    for folder in (osp.dirname(path), REPO):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    sys.argv = [path] + list(argv)
    spec = importlib.util.spec_from_file_location('mmseg_tool_' + key.replace('/', '_'), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not callable(getattr(module, 'main', None)):
        sys.exit(f'{_FILE}: {path} has no main() to run.')
    if key in FIXES:
        FIXES[key](module)
    module.main()


USAGE = f"""usage: python {_FILE} [-h] [--list] NAME [ARGS ...]

Run a tool of the mmseg wheel (mmseg/.mim/tools) on mmwsss configs.

  NAME     a tool's name (get_flops) or path (analysis_tools/browse_dataset)
  ARGS     its arguments, passed on unchanged (NAME --help shows them)
  --list   list the tools
"""


def main(argv: List[str] = None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ('-h', '--help'):
        print(USAGE, end='')
        return
    if argv[0] == '--list':
        print('\n'.join(list_tools()))
        return
    run_tool(argv[0], argv[1:])


if __name__ == '__main__':
    main()
