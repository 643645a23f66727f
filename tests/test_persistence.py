"""Saved models: loading in a fresh interpreter, and every file load reads checked by sha256."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

import tsfm
from tsfm.base import BaseForecaster
from tsfm.data.checksums import MANIFEST, write_manifest

from .conftest import make_long, make_series


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A small fitted PatchTST saved to a folder, and its forecast."""
    params = {**tsfm.PatchTSTForecaster._test_params(), "max_epochs": 1}
    model = tsfm.PatchTSTForecaster(**params).fit(make_long((150, 160)))
    path = model.save(tmp_path_factory.mktemp("saved") / "patchtst")
    return path, model.predict()


def _copy(saved, tmp_path):
    import shutil

    return shutil.copytree(saved[0], tmp_path / "copy")


def test_load_of_a_neural_model_works_in_a_fresh_interpreter(saved):
    """The class registry is filled lazily: a fresh process has never imported the torch model,
    so load must import it (and only tsfm's own modules)."""
    path, forecast = saved
    script = textwrap.dedent(
        f"""
        import sys
        import tsfm
        assert "tsfm.models.patchtst" not in sys.modules
        model = tsfm.BaseForecaster.load({str(path)!r})
        print(type(model).__name__)
        print(model.predict().to_json())
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    name, frame = done.stdout.splitlines()[:2]
    assert name == "PatchTSTForecaster"
    got = pd.read_json(io.StringIO(frame))
    assert got["mean"].to_numpy() == pytest.approx(forecast["mean"].to_numpy(), rel=1e-6)


def test_load_imports_only_tsfm_modules(tmp_path):
    path = tsfm.Naive(prediction_length=2).fit(make_series(30)).save(tmp_path / "m")
    for name in ("tsfm.no_such_module.Model", "tsfm.models.Nothing"):
        config = json.loads((path / "config.json").read_text())
        config["class"] = name
        (path / "config.json").write_text(json.dumps(config))
        write_manifest(path, ["config.json", "state.safetensors"])
        with pytest.raises(ValueError, match="is not a BaseForecaster class of tsfm"):
            BaseForecaster.load(path)


def test_save_writes_a_manifest_of_every_file(saved):
    path, _ = saved
    sums = json.loads((path / MANIFEST).read_text())["sha256"]
    assert sorted(sums) == ["config.json", "state.safetensors"]
    assert sorted(p.name for p in path.iterdir()) == sorted([*sums, MANIFEST])


def test_a_flipped_bit_in_the_weights_is_refused_naming_the_file(saved, tmp_path):
    path = _copy(saved, tmp_path)
    data = bytearray((path / "state.safetensors").read_bytes())
    data[-5] ^= 0x01  # one bit of the last tensor's values, the header stays valid
    (path / "state.safetensors").write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"state\.safetensors: sha256 .* changed or damaged"):
        BaseForecaster.load(path)


def test_an_edited_config_is_refused_naming_the_file(saved, tmp_path):
    path = _copy(saved, tmp_path)
    config = (path / "config.json").read_text()
    (path / "config.json").write_text(config.replace("2024-01-01", "2023-01-01", 1))
    with pytest.raises(ValueError, match=r"config\.json: sha256 .* changed or damaged"):
        BaseForecaster.load(path)
    (path / "state.safetensors").unlink()
    write_manifest(path, ["config.json"])
    with pytest.raises(FileNotFoundError, match=r"state\.safetensors: the file is missing"):
        BaseForecaster.load(path)


def test_a_folder_without_manifest_is_refused_unless_allowed(saved, tmp_path):
    """An edited config.json with its manifest deleted must not load silently."""
    path = _copy(saved, tmp_path)
    (path / MANIFEST).unlink()
    with pytest.raises(ValueError, match="copy: no manifest.json, .* allow_unverified=True"):
        BaseForecaster.load(path)
    with pytest.warns(UserWarning, match="no manifest.json .* cannot be checked"):
        loaded = BaseForecaster.load(path, allow_unverified=True)
    pd.testing.assert_frame_equal(loaded.predict(), saved[1])


def test_damaged_files_without_manifest_get_messages_naming_them(saved, tmp_path):
    path = _copy(saved, tmp_path)
    (path / MANIFEST).unlink()
    config = json.loads((path / "config.json").read_text())
    config["params"]["d_model"] = 16  # another architecture than the saved weights'
    (path / "config.json").write_text(json.dumps(config))
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="safetensors does not fit"):
        BaseForecaster.load(path, allow_unverified=True)
    (path / "config.json").write_text(json.dumps(config)[:200])  # truncated
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="config.json: not valid"):
        BaseForecaster.load(path, allow_unverified=True)
    with pytest.raises(FileNotFoundError, match="no config.json"):
        BaseForecaster.load(tmp_path)


def _rewrite_config(path, change) -> None:
    """Apply ``change`` to config.json and record the new sha256, as an editor who knows the
    manifest (or another version of tsfm) would."""
    config = json.loads((path / "config.json").read_text())
    change(config)
    (path / "config.json").write_text(json.dumps(config))
    write_manifest(path, ["config.json", "state.safetensors"])


def test_a_truncated_weights_file_is_refused_naming_it(saved, tmp_path):
    path = _copy(saved, tmp_path)
    data = (path / "state.safetensors").read_bytes()
    (path / "state.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"state\.safetensors: sha256 .* changed or damaged"):
        BaseForecaster.load(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["params"].update(bogus=1), r"unknown hyperparameters \['bogus'\]"),
        (lambda c: c["params"].pop("learning_rate"), r"hyperparameters \['learning_rate'\] .*"
         "are missing"),
        (lambda c: c.pop("fitted"), r"keys \['fitted'\] missing and \[\] unknown"),
        (lambda c: c.update(extra=1), r"keys \[\] missing and \['extra'\] unknown"),
    ],
    ids=["unknown parameter", "missing parameter", "missing key", "unknown key"],
)  # fmt: skip
def test_a_config_with_unknown_or_missing_keys_is_refused(saved, tmp_path, change, message):
    path = _copy(saved, tmp_path)
    _rewrite_config(path, change)
    with pytest.raises(ValueError, match=r"config\.json: .*" + message):
        BaseForecaster.load(path)


def test_a_folder_saved_before_a_hyperparameter_existed_loads_as_it_was_trained(saved, tmp_path):
    """drop_last came after format 1: an older folder trained without it, and loads so."""
    path = _copy(saved, tmp_path)
    _rewrite_config(path, lambda c: c["params"].pop("drop_last"))
    model = BaseForecaster.load(path)
    assert model.drop_last is False
    pd.testing.assert_frame_equal(model.predict(), saved[1])


def test_another_class_folder_is_refused(tmp_path):
    path = tsfm.Naive(prediction_length=2).fit(make_series(30)).save(tmp_path / "naive")
    with pytest.raises(ValueError, match="'tsfm.baselines.simple.Naive' is not a PatchTSTForec"):
        tsfm.PatchTSTForecaster.load(path)
    assert isinstance(tsfm.Naive.load(path), tsfm.Naive)
