#!/usr/bin/env bash
# Copyright (c) mmwsss contributors. All rights reserved.
# Creates and fills the project-local virtual environment `.venv/`.
# Idempotent: when the stamp matches the requirement files, it exits in well under a second.
# Every step names itself; the first one that fails stops the script with its name.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY="$VENV/bin/python"
STAMP="$VENV/.mmwsss-setup"
WANT=$(cat tools/setup_env.sh requirements/*.txt setup.cfg pyproject.toml 2>/dev/null | sha256sum | cut -c1-16)
WITH_EXTRAS=${MMWSSS_EXTRAS:-1}
WANT="$WANT-extras$WITH_EXTRAS"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
  exit 0
fi

step() { printf '\n[setup] %s\n' "$*"; CURRENT_STEP="$*"; }
trap 'printf "\n[setup] FAILED at step: %s\n" "${CURRENT_STEP:-?}" >&2' ERR

step "create virtual environment $VENV"
[ -x "$PY" ] || python3 -m venv "$VENV"
PIP=("$PY" -m pip --disable-pip-version-check)

step "build tools (setuptools<82, wheel, ninja)"
"${PIP[@]}" install -q -r requirements/build.txt

step "torch 2.13.0 + torchvision 0.28.0 from the package registry (not the local +cpu wheel)"
if ! "$PY" - <<'PY' 2>/dev/null
import torch, torchvision, torchvision.ops
assert torch.__version__ == '2.13.0', torch.__version__
assert torchvision.__version__.split('+')[0] == '0.28.0'
torchvision.ops.nms(torch.zeros(1, 4), torch.zeros(1), 0.5)
PY
then
  # --isolated ignores the machine's find-links, where a CPU-only torch wheel that torchvision cannot
  # link against would win; the certificate setting is passed on explicitly.
  cert=()
  [ -n "${PIP_CERT:-}" ] && cert=(--cert "$PIP_CERT")
  "${PIP[@]}" install --isolated "${cert[@]}" torch==2.13.0 torchvision==0.28.0
fi
"$PY" -c "import torch; v=torch.__version__; assert not v.endswith('+cpu'), 'torch '+v+' is the CPU-only wheel; torchvision cannot import with it'"

step "mmcv 2.1.0 (full, with ops; built from source, about 9 minutes on 2 cores the first time)"
if ! "$PY" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '2.1.0'" 2>/dev/null; then
  MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-2} "${PIP[@]}" install --no-build-isolation -c requirements/constraints.txt mmcv==2.1.0
fi

step "OpenMMLab stack and the packages they import without declaring"
"${PIP[@]}" install -q -c requirements/constraints.txt -r requirements/runtime.txt -r requirements/tests.txt

if [ "$WITH_EXTRAS" = 1 ]; then
  step "optional extras (dense CRF)"
  "${PIP[@]}" install -q -c requirements/constraints.txt -r requirements/optional.txt
fi

step "mmwsss itself (editable)"
"${PIP[@]}" install -q --no-deps --no-build-isolation -e .

step "check the installed stack"
"$PY" - <<'PY'
import torch, torchvision, mmcv, mmcv.ops, mmengine, mmseg, mmseg.models, mmpretrain.models
import mmwsss
print(f'torch {torch.__version__}, torchvision {torchvision.__version__}, mmcv {mmcv.__version__}, '
      f'mmengine {mmengine.__version__}, mmseg {mmseg.__version__}, mmwsss {mmwsss.__version__}')
PY

echo "$WANT" > "$STAMP"
trap - ERR
echo "[setup] done: $VENV is ready"
