# Copyright (c) mmwsss contributors. All rights reserved.
"""Import a script of tools/ by its path, as the tests of the tools do."""

import importlib.util
import os.path as osp
import sys
from types import ModuleType

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..'))


def load_tool(path: str) -> ModuleType:
    """The module of ``tools/<path>`` (e.g. ``'analysis_tools/benchmark_utils.py'``).

    Its folder goes on ``sys.path`` first, as when the script runs: a tool imports the helper
    modules beside it by name.
    """
    file = osp.join(REPO, 'tools', path)
    folder = osp.dirname(file)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    name = 'tool_' + osp.splitext(path)[0].replace('/', '_')
    spec = importlib.util.spec_from_file_location(name, file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
