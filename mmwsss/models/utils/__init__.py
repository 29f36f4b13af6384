# Copyright (c) mmwsss contributors. All rights reserved.
from .dense_crf import DenseCRF, import_pydensecrf

__all__ = ['DenseCRF', 'import_pydensecrf']
