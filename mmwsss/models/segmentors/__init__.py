# Copyright (c) mmwsss contributors. All rights reserved.
from .cam_classifier import CAMClassifier
from .dense_crf_segmentor import DenseCRFSegmentor
from .refine_segmentor import RefineSegmentor

__all__ = ['CAMClassifier', 'DenseCRFSegmentor', 'RefineSegmentor']
