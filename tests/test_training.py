"""The one training loop: overfitting, schedules, early stopping, resume, NaN, DDP."""

from __future__ import annotations

import json
import math
import os
import socket

import numpy as np
import pytest
import torch

import tsfm.training.loop as loop
from tsfm import PatchTSTForecaster, TSMixerForecaster
from tsfm.models.patchtst import PatchTST, PatchTSTConfig
from tsfm.training import SCHEDULES, TrainConfig, WindowSet, train

from .conftest import make_wide

TINY = PatchTSTConfig(context_length=48, prediction_length=12, patch_len=8, stride=4, d_model=8,
                      n_heads=2, d_ff=16, n_layers=1, dropout=0.0)  # fmt: skip


def _windows(n=200, channels=2, seed=0):
    return WindowSet([make_wide(n, channels, seed).to_numpy()], 48, 12)


def _module(channels=2, cfg=TINY, seed=0):
    torch.manual_seed(seed)
    return PatchTST(cfg, channels)


def test_window_set_gathers_views_without_crossing_series():
    a, b = np.arange(30.0)[:, None], 100 + np.arange(25.0)[:, None]
    windows = WindowSet([a, b], 5, 3)
    assert len(windows) == (30 - 8 + 1) + (25 - 8 + 1)
    x, y = windows.batch(torch.arange(len(windows)))
    assert x.shape == (41, 5, 1) and y.shape == (41, 3, 1)
    for row in range(41):  # each window is consecutive values of one series
        values = torch.cat([x[row, :, 0], y[row, :, 0]])
        assert torch.all(values[1:] - values[:-1] == 1)
    assert WindowSet([a], 5, 3, first_origin=[20]).batch(torch.tensor([0]))[1][0, 0, 0] == 20


def test_tiny_model_overfits_one_batch():
    windows = WindowSet([make_wide(80, 1).to_numpy()], 48, 12)
    module = _module(1)
    cfg = TrainConfig(max_epochs=300, batch_size=64, learning_rate=3e-3, verbose=0,
                      early_stopping_patience=None)  # fmt: skip
    history = train(module, windows, None, cfg)
    assert history[-1]["train_loss"] < 0.02 * history[0]["train_loss"]


def test_early_stopping_restores_the_best_weights():
    train_set, val_set = _windows(seed=0), _windows(seed=1)
    module = _module()
    cfg = TrainConfig(max_epochs=40, batch_size=32, learning_rate=0.05, verbose=0,
                      early_stopping_patience=2)  # fmt: skip
    history = train(module, train_set, val_set, cfg)
    assert len(history) < 40
    best = min(h["val_loss"] for h in history)
    x, y = val_set.batch(torch.arange(len(val_set)))
    with torch.inference_mode():
        assert float(torch.nn.functional.mse_loss(module(x), y)) == pytest.approx(best, rel=1e-5)


def test_resume_after_interruption_reaches_the_same_weights(tmp_path):
    cfg = dict(max_epochs=4, batch_size=32, learning_rate=1e-2, verbose=0, random_state=7)
    dropout = PatchTSTConfig(**{**TINY.__dict__, "dropout": 0.2})
    straight = _module(cfg=dropout)
    train(straight, _windows(), _windows(seed=1), TrainConfig(**cfg))

    def interrupt(epoch):
        if epoch == 1:
            raise KeyboardInterrupt

    resumed_cfg = TrainConfig(**cfg, checkpoint_dir=str(tmp_path))
    with pytest.raises(KeyboardInterrupt):
        train(
            _module(cfg=dropout), _windows(), _windows(seed=1), resumed_cfg, on_epoch_end=interrupt
        )
    resumed = _module(cfg=dropout, seed=123)  # fresh weights: everything comes from the checkpoint
    history = train(resumed, _windows(), _windows(seed=1), resumed_cfg)
    assert [h["epoch"] for h in history] == [1, 2, 3, 4]
    for (name, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)


def test_a_run_that_stopped_early_resumes_as_stopped(tmp_path):
    """Resuming a checkpoint written after early stopping trains no further epoch: the same
    weights and history as the run that stopped (a benchmark resumed in another session)."""
    cfg = TrainConfig(max_epochs=60, batch_size=32, learning_rate=0.5, verbose=0,
                      early_stopping_patience=1, checkpoint_dir=str(tmp_path))  # fmt: skip
    first = _module()
    history = train(first, _windows(), _windows(seed=1), cfg)
    assert len(history) < 60  # stopped early
    again = _module(seed=5)
    assert train(again, _windows(), _windows(seed=1), cfg) == history
    for (name, a), b in zip(first.state_dict().items(), again.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)


def test_non_finite_loss_stops_with_a_clear_error():
    module = _module()
    cfg = TrainConfig(max_epochs=2, batch_size=32, verbose=0)
    with pytest.raises(FloatingPointError, match="loss became nan at epoch 1, step 1"):
        train(module, _windows(), None, cfg, step_fn=lambda m, x, y: (m(x) * float("nan")).mean())


def test_onecycle_matches_torch_and_decay_matches_the_formula():
    cfg = TrainConfig(max_epochs=5, learning_rate=1e-3, pct_start=0.3)
    steps = 7
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.Adam([param], lr=cfg.learning_rate)
    reference = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=cfg.learning_rate, total_steps=cfg.max_epochs * steps, pct_start=0.3
    )
    for k in range(cfg.max_epochs * steps):
        ours = SCHEDULES["onecycle"](k // steps, k % steps, steps, cfg)
        assert ours == pytest.approx(reference.get_last_lr()[0], rel=1e-6, abs=1e-12)
        optimizer.step()
        reference.step()
    decay = [SCHEDULES["decay"](e, 0, steps, cfg) for e in range(6)]
    assert decay == pytest.approx([1e-3] * 4 + [9e-4, 8.1e-4])
    # TimeXer's type1: the official loop sets lr * 0.5 ** (e - 1) after its e-th epoch (1-based)
    halve = [SCHEDULES["halve"](e, 0, steps, cfg) for e in range(4)]
    assert halve == pytest.approx([1e-3, 1e-3, 5e-4, 2.5e-4])


def test_verbose_zero_is_silent(capsys):
    train(_module(), _windows(), None, TrainConfig(max_epochs=1, verbose=0))
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


@pytest.mark.parametrize(
    "cls, extra",
    [(PatchTSTForecaster, {"max_epochs": 3}),
     (TSMixerForecaster, {"max_epochs": 6, "dropout": 0.0})],
    ids=lambda v: getattr(v, "__name__", ""),
)  # fmt: skip
def test_pretraining_then_fine_tuning_starts_from_the_backbone(cls, extra):
    wide = make_wide(300, 2)
    params = cls._test_params() | extra
    model = cls(**params).pretrain(wide)
    losses = [h["train_loss"] for h in model.pretrain_history_]
    assert losses[-1] < losses[0]
    module = model._build_module(2)
    for name, value in module.backbone.state_dict().items():
        torch.testing.assert_close(value, model.pretrained_backbone_[name], msg=name)
    tuned = model.fit(wide).predict()
    scratch = cls(**params).fit(wide).predict()
    assert not np.allclose(tuned.to_numpy(), scratch.to_numpy())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# SGD: Adam would amplify float-summation noise in parameters whose true gradient is zero
# (e.g. the key bias, to which softmax is invariant) and hide what this test checks.
DDP_CONFIG = TrainConfig(
    max_epochs=2, batch_size=32, learning_rate=0.05, optimizer="sgd", verbose=0
)


class CountingWindows(WindowSet):
    def batch(self, index):
        self.rows = getattr(self, "rows", 0) + len(index)
        return super().batch(index)


def _ddp_worker(rank, world, port, out_dir):
    import torch.distributed as dist

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.set_num_threads(1)
    loop.SEQUENCES_PER_PASS = 8  # each rank's 16 windows in parts: gradients synced once
    module = _module(cfg=PatchTSTConfig(**{**TINY.__dict__, "norm": "layer"}))
    windows = CountingWindows([make_wide(150, 2, 0).to_numpy()], 48, 12)
    train(module, windows, _windows(120, seed=1), DDP_CONFIG)
    torch.save(torch.tensor(windows.rows), os.path.join(out_dir, f"rows{rank}.pt"))
    if rank == 0:
        torch.save(module.state_dict(), os.path.join(out_dir, "ddp.pt"))
    dist.destroy_process_group()


def _ddp_pretraining_worker(rank, world, port, out_dir):
    import torch.distributed as dist

    from tsfm import TimeDARTForecaster

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    model = TimeDARTForecaster(
        context_length=48, prediction_length=12, patch_len=8, stride=8, d_model=8, n_heads=2,
        d_ff=16, n_layers=1, max_epochs=2, batch_size=8, batches_per_epoch=3, n_threads=1,
        verbose=0,
    )  # fmt: skip
    model.pretrain(make_wide(150, 2, 0))  # both objectives leave parameters without gradient
    model.pretrain(make_wide(150, 2, 0), method="masked")
    if rank == 0:
        torch.save(model.pretrained_backbone_, os.path.join(out_dir, "backbone.pt"))
    dist.destroy_process_group()


@pytest.mark.slow
def test_ddp_pretraining_trains_modules_with_parameters_left_without_gradient(tmp_path):
    """TimeDART's decoder never reads its cross-attention queries (mask_ratio 1), and
    pretraining never reads the forecasting head: DDP must not wait for their gradients."""
    torch.multiprocessing.spawn(
        _ddp_pretraining_worker, args=(2, _free_port(), str(tmp_path)), nprocs=2, join=True
    )
    backbone = torch.load(tmp_path / "backbone.pt", weights_only=True)
    assert all(torch.isfinite(v).all() for v in backbone.values())


@pytest.mark.slow
def test_ddp_with_two_gloo_processes_matches_one_process(tmp_path):
    """Data parallel over two CPU processes, each computing its share in micro-batches, equals
    one process on the same global batches (LayerNorm: BatchNorm statistics are per process
    under DDP, as usual)."""
    torch.multiprocessing.spawn(
        _ddp_worker, args=(2, _free_port(), str(tmp_path)), nprocs=2, join=True
    )
    distributed = torch.load(tmp_path / "ddp.pt", weights_only=True)
    # each rank took its share of every global batch: together they saw each window once a epoch
    rows = [int(torch.load(tmp_path / f"rows{r}.pt")) for r in (0, 1)]
    assert sum(rows) == 2 * len(_windows(150)) and abs(rows[0] - rows[1]) <= 2
    single = _module(cfg=PatchTSTConfig(**{**TINY.__dict__, "norm": "layer"}))
    train(single, _windows(150), _windows(120, seed=1), DDP_CONFIG)
    for name, value in single.state_dict().items():
        torch.testing.assert_close(distributed[name], value, rtol=1e-4, atol=1e-5, msg=name)
    assert not math.isnan(float(next(iter(distributed.values())).sum()))


def test_short_contexts_predict_and_short_training_series_are_named():
    from .conftest import make_long

    params = PatchTSTForecaster._test_params()  # context 48, horizon 12, patch 8
    model = PatchTSTForecaster(**params).fit(make_long(lengths=(200, 150)))
    short = make_long(lengths=(20,), seed=4)  # shorter than the context, longer than a patch
    out = model.predict(short)
    assert len(out) == 12 and np.isfinite(out["mean"]).all()
    with pytest.raises(ValueError, match=r"too short for training.*'s1' \(50\)"):
        PatchTSTForecaster(**params).fit(make_long(lengths=(200, 50)))
    with pytest.raises(ValueError, match=r"the input is too short for training.*got 50\."):
        PatchTSTForecaster(**params).fit(make_wide(50, 2))  # no internal series name shown


def test_batches_per_epoch_bounds_each_epoch():
    cfg = TrainConfig(max_epochs=2, batch_size=16, batches_per_epoch=3, verbose=0)
    history = train(_module(), _windows(), None, cfg)
    assert [h["train_windows"] for h in history] == [48, 48]


def test_drop_last_leaves_out_the_incomplete_batch_and_refuses_too_few_windows():
    windows = _windows()  # 141 windows: 8 full batches of 16 and 13 over
    assert len(windows) == 141
    kept = train(_module(), windows, None, TrainConfig(max_epochs=1, batch_size=16, verbose=0))
    dropped = train(_module(), windows, None, TrainConfig(max_epochs=1, batch_size=16,
                                                          drop_last=True, verbose=0))  # fmt: skip
    assert kept[0]["train_windows"] == 141 and dropped[0]["train_windows"] == 128
    with pytest.raises(ValueError, match="141 training windows are fewer than batch_size=256"):
        train(_module(), windows, None, TrainConfig(batch_size=256, drop_last=True, verbose=0))


# --------------------------------------------------------------------------- checkpoint runs


def test_a_checkpoint_of_another_run_is_refused_naming_the_folder(tmp_path):
    cfg = TrainConfig(max_epochs=1, batch_size=32, verbose=0, checkpoint_dir=str(tmp_path))
    train(_module(), _windows(), None, cfg)
    folder = repr(str(tmp_path))
    with pytest.raises(ValueError, match=rf"checkpoint_dir {folder} .*: other data"):
        train(_module(), _windows(seed=5), None, cfg)
    with pytest.raises(ValueError, match=rf"{folder} .*other data"):  # validation windows too
        train(_module(), _windows(), _windows(seed=1), cfg)
    wider = PatchTSTConfig(**{**TINY.__dict__, "d_model": 16})
    with pytest.raises(ValueError, match=r"another architecture \(parameter .* shape"):
        train(_module(cfg=wider), _windows(), None, cfg)
    faster = TrainConfig(**{**cfg.__dict__, "learning_rate": 1e-2})
    with pytest.raises(ValueError, match=r"other settings \(learning_rate=0.0001 there, 0.01"):
        train(_module(), _windows(), None, faster)
    longer = TrainConfig(**{**cfg.__dict__, "max_epochs": 2, "early_stopping_patience": 3})
    assert [h["epoch"] for h in train(_module(), _windows(), None, longer)] == [1, 2]


def test_fit_on_other_data_is_refused_not_resumed(tmp_path):
    """A finished fit on A in checkpoint_dir: fit(B) used to train 0 epochs and report A's
    history. Other hyperparameters of the forecaster count too."""
    params = {**PatchTSTForecaster._test_params(), "max_epochs": 1}
    params["checkpoint_dir"] = str(tmp_path)
    first = PatchTSTForecaster(**params).fit(make_wide(200, 2, seed=0))
    with pytest.raises(ValueError, match=f"checkpoint_dir {str(tmp_path)!r} holds a checkpoint"):
        PatchTSTForecaster(**params).fit(make_wide(200, 2, seed=1))
    with pytest.raises(ValueError, match=r"other settings \(d_ff=16 there, 32 here"):
        PatchTSTForecaster(**{**params, "d_ff": 32}).fit(make_wide(200, 2, seed=0))
    again = PatchTSTForecaster(**{**params, "max_epochs": 2}).fit(make_wide(200, 2, seed=0))
    assert again.history_[0] == first.history_[0] and len(again.history_) == 2


def test_a_checkpoint_without_fingerprint_resumes_with_a_warning(tmp_path):
    cfg = TrainConfig(max_epochs=1, batch_size=32, verbose=0, checkpoint_dir=str(tmp_path))
    train(_module(), _windows(), None, cfg)
    saved = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    del saved["fingerprint"]  # as written before checkpoints had one
    torch.save(saved, tmp_path / "checkpoint.pt")
    longer = TrainConfig(**{**cfg.__dict__, "max_epochs": 2})
    with pytest.warns(UserWarning, match="has no fingerprint"):
        assert len(train(_module(), _windows(), None, longer)) == 2
    wider = PatchTSTConfig(**{**TINY.__dict__, "d_model": 16})
    torch.save(saved, tmp_path / "checkpoint.pt")
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="does not fit this network"):
        train(_module(cfg=wider), _windows(), None, longer)


def test_a_checkpoint_from_before_a_setting_existed_resumes(tmp_path):
    """drop_last came later: a checkpoint without it trained as drop_last=False."""
    cfg = TrainConfig(max_epochs=1, batch_size=32, verbose=0, checkpoint_dir=str(tmp_path))
    train(_module(), _windows(), None, cfg)
    saved = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    fingerprint = json.loads(saved["fingerprint"])
    del fingerprint["settings"]["drop_last"]
    saved["fingerprint"] = json.dumps(fingerprint, sort_keys=True)
    torch.save(saved, tmp_path / "checkpoint.pt")
    longer = TrainConfig(**{**cfg.__dict__, "max_epochs": 2})
    assert [h["epoch"] for h in train(_module(), _windows(), None, longer)] == [1, 2]
    dropping = TrainConfig(**{**cfg.__dict__, "max_epochs": 3, "drop_last": True})
    with pytest.raises(ValueError, match=r"drop_last=False there, True here"):
        train(_module(), _windows(), None, dropping)


def test_fine_tuning_from_another_pretraining_is_refused_not_resumed(tmp_path):
    """A finished fine-tuning started from one pretraining must not be reported for another."""
    params = {**PatchTSTForecaster._test_params(), "max_epochs": 1, "checkpoint_dir": str(tmp_path)}
    data = make_wide(200, 2)
    PatchTSTForecaster(**params).pretrain(data).fit(data)
    again = PatchTSTForecaster(**params).pretrain(data).fit(data)  # the same pretraining
    assert len(again.history_) == 1
    (tmp_path / "pretrain" / "checkpoint.pt").unlink()
    other = PatchTSTForecaster(**params).set_params(learning_rate=1e-2).pretrain(data)
    other.set_params(learning_rate=PatchTSTForecaster._test_params().get("learning_rate", 1e-4))
    with pytest.raises(ValueError, match="pretrained_backbone_sha256="):
        other.fit(data)


def test_pretraining_checkpoints_apart_from_fine_tuning(tmp_path):
    params = {**PatchTSTForecaster._test_params(), "max_epochs": 1, "checkpoint_dir": str(tmp_path)}
    model = PatchTSTForecaster(**params).pretrain(make_wide(200, 2))
    model.fit(make_wide(200, 2))
    assert (tmp_path / "pretrain" / "checkpoint.pt").exists()
    assert (tmp_path / "checkpoint.pt").exists() and len(model.history_) == 1


@pytest.mark.parametrize("cls", [PatchTSTForecaster, TSMixerForecaster])
def test_max_epochs_zero_needs_init_weights(cls, tmp_path):
    from tsfm.models.weights import export_weights

    params = {**cls._test_params(), "max_epochs": 0}
    with pytest.raises(ValueError, match="max_epochs=0 trains nothing and init_weights is not set"):
        cls(**params).fit(make_wide(200, 2))
    trained = cls(**{**params, "max_epochs": 1}).fit(make_wide(200, 2))
    folder = export_weights(trained.module_, tmp_path / "w", {"class": cls.__name__})
    used = cls(**params, init_weights=str(folder)).fit(make_wide(200, 2))
    assert used.history_ == []
    np.testing.assert_allclose(used.predict(), trained.predict(), rtol=1e-5)


def test_any_window_source_is_fingerprinted_by_its_arrays():
    from tsfm.training.loop import _digest

    class Drawn:  # pre-drawn windows without a digest() of their own
        def __init__(self, seed):
            self.values = torch.from_numpy(np.random.default_rng(seed).normal(size=(8, 4)))
            self.horizon = 2

    assert _digest(Drawn(0)) == _digest(Drawn(0)) != _digest(Drawn(1))
    assert _digest(_windows()) == _windows().digest() != _windows(seed=1).digest()


def test_a_large_batch_is_computed_in_parts_with_the_full_batch_gradient(monkeypatch):
    """Micro-batches: parts of about SEQUENCES_PER_PASS channel series whose gradients add up
    to the batch mean's (exact without BatchNorm), with the same loss and a part count that
    follows the channels."""
    x, y = torch.randn(40, 48, 3), torch.randn(40, 12, 3)
    assert loop.micro_batches(x) == 1  # 120 series: one pass
    assert loop.micro_batches(x, sequences=30) == 4 and loop.micro_batches(x, sequences=1) == 40
    assert loop.micro_batches((x, x[:, 0])) == 1  # not a (B, L, C) tensor: whole
    cfg = PatchTSTConfig(**{**TINY.__dict__, "norm": "layer"})
    step = lambda m, a, b: ((m(a) - b) ** 2).mean()  # noqa: E731
    grads, losses = [], []
    for sequences in (10_000, 7):  # whole, then parts of 2-3 windows (uneven)
        module = _module(3, cfg)
        monkeypatch.setattr(loop, "SEQUENCES_PER_PASS", sequences)
        losses.append(float(loop._accumulate_gradients(module, step, x, y, 1.0)))
        grads.append(torch.cat([p.grad.flatten() for p in module.parameters()]))
    assert losses[0] == pytest.approx(losses[1], rel=1e-5)
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-4, atol=1e-6)


def test_batchnorm_running_statistics_move_one_step_per_batch_in_parts(monkeypatch):
    """Parts update BatchNorm's running statistics with a momentum that makes a batch one
    step's worth: near the whole batch's, not ``parts`` steps' (and momentum restored)."""
    x, y = torch.randn(64, 48, 4) * 3 + 1, torch.randn(64, 12, 4)
    step = lambda m, a, b: ((m(a) - b) ** 2).mean()  # noqa: E731
    stats = []
    for sequences in (10_000, 32):  # whole, then 8 parts
        module = _module(4, PatchTSTConfig(**{**TINY.__dict__, "norm": "batch"}))
        monkeypatch.setattr(loop, "SEQUENCES_PER_PASS", sequences)
        loop._accumulate_gradients(module, step, x, y, 1.0)
        norm = next(m for m in module.modules() if isinstance(m, torch.nn.BatchNorm1d))
        assert norm.momentum == 0.1
        stats.append(norm.running_var.clone())
    # one update of 0.1 from 1: both within a few percent, where 8 full updates would be ~0.57
    torch.testing.assert_close(stats[1], stats[0], rtol=0.05, atol=0.0)


def test_a_loss_that_is_not_a_mean_over_windows_gets_its_batch_whole(monkeypatch):
    module = _module(4)
    monkeypatch.setattr(loop, "SEQUENCES_PER_PASS", 8)
    calls = []

    def step(m, a, b):
        calls.append(len(a))
        return ((m(a) - b) ** 2).mean()

    x, y = torch.randn(16, 48, 4), torch.randn(16, 12, 4)
    loop._accumulate_gradients(module, step, x, y, 1.0)
    assert calls == [2] * 8
    module.batch_mean_loss, calls[:] = False, []
    loop._accumulate_gradients(module, step, x, y, 1.0)
    assert calls == [16]
    from tsfm.models.combo import Combo
    from tsfm.models.sundial import Sundial

    assert Combo.batch_mean_loss is False and Sundial.batch_mean_loss is False


def test_default_threads_respect_a_limit_set_for_the_process():
    """joblib's workers (and OMP_NUM_THREADS) limit torch's threads; fit must not raise them
    (more threads than free cores: every parallel step waits for a descheduled thread)."""
    from joblib import Parallel, delayed

    def threads_before_and_inside_fit(_):
        from tsfm.models.neural import torch_threads

        before = torch.get_num_threads()
        with torch_threads(None):
            return before, torch.get_num_threads()

    workers = Parallel(n_jobs=2)(delayed(threads_before_and_inside_fit)(i) for i in range(2))
    assert all(inside == limit for limit, inside in workers)
    assert all(limit <= max(os.cpu_count() // 2, 1) for limit, _ in workers)  # joblib's share
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert threads_before_and_inside_fit(0) == (1, 1)
    finally:
        torch.set_num_threads(before)
