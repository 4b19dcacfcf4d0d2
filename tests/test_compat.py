"""Each fix of mmagic_cstvr.utils.compat, on the real stack (torchvision 0.28 CUDA wheel next to CPU
torch, numpy 2, mmcv-lite, torch >= 2.6 with weights_only loading)."""
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import mmagic_cstvr  # noqa: F401  (applies the fixes)
from mmagic_cstvr.utils import compat


def run_fresh(code: str) -> subprocess.CompletedProcess:
    """Run code in a fresh interpreter (import order matters for these fixes)."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=300)


def test_apply_is_idempotent():
    first = dict(compat.apply())
    assert compat.apply() == first
    assert set(first) == {"torchvision_ops", "numpy_bool8", "mmcv_ext", "checkpoint_safe_globals"}


# (a) torchvision -------------------------------------------------------------------------------

def test_torchvision_imports_after_compat():
    res = run_fresh("""
        import mmagic_cstvr
        import torchvision
        from torchvision import transforms
        import mmagic.utils  # imports torchvision
        import torch
        assert torch._C._jit_get_schemas_for_operator('torchvision::nms')
        print(torchvision.__version__)
        """)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip()


def test_torchvision_schema_fix_is_needed_here():
    """Without the fix the import fails on this stack (if torchvision's library loads, skip)."""
    if not compat.applied.get("torchvision_ops"):
        pytest.skip("torchvision's compiled library loads here: no schema fix was needed")
    res = run_fresh("import torchvision")
    assert res.returncode != 0
    assert "torchvision::nms" in res.stderr


# (b) numpy -------------------------------------------------------------------------------------

def test_numpy_bool8_alias():
    assert np.bool8 is np.bool_
    assert np.array([1, 0]).astype(np.bool8).dtype == np.bool_


# (c) mmcv._ext ---------------------------------------------------------------------------------

def test_mmcv_ext_standin():
    import importlib

    import mmcv._ext  # noqa: F401  (the import statement works)
    from mmcv import _ext
    from mmengine.utils.dl_utils import mmcv_full_available

    assert importlib.import_module("mmcv._ext") is _ext  # what mmcv's ext_loader does
    if not getattr(_ext, "__cstvr_standin__", False):
        pytest.skip("a real mmcv._ext (full mmcv) is installed")
    assert mmcv_full_available() is False  # mmengine must not think compiled ops exist
    assert _ext.__spec__.loader is None
    with pytest.raises(compat.MmcvOpsUnavailable, match="deform_conv_forward"):
        _ext.deform_conv_forward()
    with pytest.raises(AttributeError):
        _ext.__wrapped__  # dunder lookups are not ops


def test_mmagic_models_import_with_mmcv_lite():
    res = run_fresh("""
        import mmagic_cstvr
        import mmcv.ops              # imports every op wrapper, each asking mmcv._ext for functions
        import mmagic.models         # imports mmcv.ops at module level
        from mmagic.registry import MODELS
        assert MODELS.get('BasicVSR') is not None
        from mmengine.utils.dl_utils import mmcv_full_available
        print(mmcv_full_available())
        """)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().splitlines()[-1] == "False"


# (d) checkpoints -------------------------------------------------------------------------------

def _train_toy_runner(work_dir, max_iters, resume=False):
    from mmengine.model import BaseModel
    from mmengine.runner import Runner
    from torch.utils.data import Dataset

    class Toy(BaseModel):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(4, 1)

        def forward(self, inputs, target=None, mode="tensor"):
            out = self.lin(inputs)
            if mode == "loss":
                return {"loss": ((out - target) ** 2).mean()}
            return out

    class Data(Dataset):
        metainfo = {"name": "toy"}

        def __len__(self):
            return 8

        def __getitem__(self, i):
            g = torch.Generator().manual_seed(i)
            return {"inputs": torch.randn(4, generator=g), "target": torch.randn(1, generator=g)}

    runner = Runner(
        model=Toy(), work_dir=str(work_dir),
        train_dataloader=dict(dataset=Data(), sampler=dict(type="DefaultSampler", shuffle=True),
                              batch_size=2, num_workers=0, collate_fn=dict(type="default_collate")),
        optim_wrapper=dict(optimizer=dict(type="Adam", lr=0.01)),
        param_scheduler=dict(type="MultiStepLR", milestones=[1], by_epoch=False),
        train_cfg=dict(by_epoch=False, max_iters=max_iters, val_interval=1000),
        default_hooks=dict(checkpoint=dict(type="CheckpointHook", interval=2, by_epoch=False)),
        randomness=dict(seed=1), default_scope=None, resume=resume)
    runner.train()
    return runner


@pytest.fixture(scope="module")
def runner_checkpoint(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp("runner")
    _train_toy_runner(work_dir, max_iters=2)
    ckpt = work_dir / "iter_2.pth"
    assert ckpt.is_file()
    return work_dir, ckpt


def test_runner_checkpoint_loads_with_weights_only(runner_checkpoint):
    _, ckpt = runner_checkpoint
    state = torch.load(ckpt, map_location="cpu", weights_only=True)
    assert set(state) >= {"meta", "state_dict", "message_hub", "optimizer", "param_schedulers"}
    buffer = state["message_hub"]["log_scalars"]["train/loss"]
    assert np.isfinite(buffer.mean())  # a working HistoryBuffer, statistics methods included


def test_mmengine_load_checkpoint_and_resume(runner_checkpoint):
    from mmengine.runner import load_checkpoint

    work_dir, ckpt = runner_checkpoint
    model = torch.nn.Module()
    model.lin = torch.nn.Linear(4, 1)
    load_checkpoint(model, str(ckpt), map_location="cpu")  # torch.load with the default weights_only
    runner = _train_toy_runner(work_dir, max_iters=4, resume=True)  # resumes from iter_2.pth
    assert runner.iter == 4


class NotAllowed:
    def __init__(self, value):
        self.value = value


class RunsCode:
    def __reduce__(self):
        return (print, ("this must never run",))


class ReachesThroughGetattr:
    def __reduce__(self):
        from mmengine.logging.history_buffer import HistoryBuffer

        return (getattr, (HistoryBuffer, "__init__"))


@pytest.mark.parametrize("payload", [NotAllowed(3), RunsCode(), ReachesThroughGetattr()],
                         ids=["arbitrary-class", "callable", "getattr-beyond-historybuffer"])
def test_disallowed_pickles_are_refused(tmp_path, payload, capsys):
    path = tmp_path / "evil.pth"
    torch.save({"state_dict": {}, "meta": payload}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    from mmengine.runner import CheckpointLoader

    with pytest.raises(pickle.UnpicklingError):
        CheckpointLoader.load_checkpoint(str(path), map_location="cpu")
    assert "this must never run" not in capsys.readouterr().out
