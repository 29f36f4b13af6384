# Copyright (c) mmwsss contributors. All rights reserved.
from .cls_labels import stack_cls_labels
from .dense_crf import DenseCRF, import_pydensecrf

__all__ = ['DenseCRF', 'import_pydensecrf', 'stack_cls_labels']
