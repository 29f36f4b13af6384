# Copyright (c) mmwsss contributors. All rights reserved.
import pytest


@pytest.fixture(autouse=True)
def _mmseg_scope(mmseg_scope):
    """Every test here builds models and datasets in MMSeg's scope."""
