# Copyright (c) mmwsss contributors. All rights reserved.
from mmengine.model import MMDistributedDataParallel

from mmwsss.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class DeviceAgnosticDDP(MMDistributedDataParallel):
    """MMEngine's DDP wrapper that also wraps CPU models.

    Subclassed because MMEngine's Runner always passes ``device_ids=[local_rank]``, which torch rejects for a
    module on the CPU; here the ids are dropped when the module has no CUDA parameter.
    """

    def __init__(self, module, detect_anomalous_params: bool = False, **kwargs):
        on_cuda = any(p.is_cuda for p in module.parameters())
        if not on_cuda:
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
        super().__init__(module=module, detect_anomalous_params=detect_anomalous_params, **kwargs)
