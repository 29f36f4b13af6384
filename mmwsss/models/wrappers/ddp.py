# Copyright (c) mmwsss contributors. All rights reserved.
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS as ROOT_MODEL_WRAPPERS

from mmwsss.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class DeviceAgnosticDDP(MMDistributedDataParallel):
    """MMEngine's DDP wrapper that also wraps CPU models.

    Subclassed because MMEngine's Runner always passes ``device_ids=[local_rank]``, which torch
    rejects for a module on the CPU; here the ids are dropped when the module has no CUDA parameter.
    """

    def __init__(self, module, detect_anomalous_params: bool = False, **kwargs):
        on_cuda = any(p.is_cuda for p in module.parameters())
        if not on_cuda:
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
        super().__init__(module=module, detect_anomalous_params=detect_anomalous_params, **kwargs)


# MMEngine's Runner looks wrappers up in the root registry (``Runner.wrap_model`` calls
# ``MODEL_WRAPPERS.get(type)`` there, which never searches the mmseg child), so register it there
# too.
ROOT_MODEL_WRAPPERS.register_module(module=DeviceAgnosticDDP)
