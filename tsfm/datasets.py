"""Registry of real datasets: files, checksums, upstream addresses, frequency, standard splits.

``load_dataset(name)`` returns a :class:`Dataset`. Files are looked up, in order, in
``$TSFM_DATA_HOME``, in ``../shared/data`` beside the repository when present, and in the user
cache (``$XDG_CACHE_HOME/tsfm`` or ``~/.cache/tsfm``). A missing file is downloaded from its
upstream address into the cache when the network allows; every file's sha256 is checked and a
mismatch is refused.

Shapes
------
* LTSF sets (ETT*, Weather, Exchange, ILI) and EPF markets: a wide frame, DatetimeIndex ``date``,
  one column per channel, the target ``OT`` last. EPF column names are stripped of the leading
  space the files carry.
* M4 Hourly/Weekly: ``data`` is the long training frame (``unique_id``, ``ds``, ``y``) and
  ``test`` the official test horizon in the same shape. M4 ships no timestamps for these files:
  series start at 1970-01-01 00:00 (hourly) or 1970-01-04 (weekly, Sundays), documented as
  synthetic.
* Weather's file has one duplicated timestamp and one gap; the LTSF protocol treats its rows as
  equally spaced, so rows are indexed by a regular 10-minute grid from the first timestamp
  (the file's own stamps are in ``Dataset.original_index``). Its ``-9999`` sentinels are kept,
  as in the literature.
"""

from __future__ import annotations

import os
import urllib.request
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from tsfm.data.checksums import sha256_of
from tsfm.data.windows import Borders, ltsf_borders

_ETT = "https://raw.githubusercontent.com/zhouhaoyi/ETDataset/1d16c8f4f943005d613b5bc962e9eeb06058cf07/ETT-small/"
_HICR = "https://raw.githubusercontent.com/ljnvs/HiCR-Mamba/d472c100956ed4373e9ca3700481ce88f8f1e4dd/datasets/"
_SSCF = "https://raw.githubusercontent.com/junwoopark92/Self-Supervised-Contrastive-Forecsating/f394705adbf5217811276f5e59576c6e7ea7586c/dataset/"
_TINA = "https://raw.githubusercontent.com/tooichitake/TINA/c05e720439c2ced0c9fe4b295c5b04a2f69ff3f3/datasets/EPF/"
_M4 = "https://raw.githubusercontent.com/Mcompetitions/M4-methods/6c1067e5a57161249b17289a565178dc7a3fb3ca/Dataset/"


@dataclass(frozen=True)
class FileInfo:
    path: str  # relative to the data home
    sha256: str
    url: str


@dataclass(frozen=True)
class DatasetInfo:
    """Metadata of a registered dataset."""

    files: tuple[FileInfo, ...]
    freq: str
    target: str
    season_length: int
    split: str  # "ett_hour", "ett_minute", "ratio" or "m4"
    horizons: tuple[int, ...]
    kind: str = "wide"  # "wide" or "m4"


def _f(path, sha, url):
    return FileInfo(path, sha, url)


REGISTRY: dict[str, DatasetInfo] = {
    "etth1": DatasetInfo((_f("ETT-small/ETTh1.csv", "f18de3ad269cef59bb07b5438d79bb3042d3be49bdeecf01c1cd6d29695ee066", _ETT + "ETTh1.csv"),), "h", "OT", 24, "ett_hour", (96, 192, 336, 720)),
    "etth2": DatasetInfo((_f("ETT-small/ETTh2.csv", "a3dc2c597b9218c7ce1cd55eb77b283fd459a1d09d753063f944967dd6b9218b", _ETT + "ETTh2.csv"),), "h", "OT", 24, "ett_hour", (96, 192, 336, 720)),
    "ettm1": DatasetInfo((_f("ETT-small/ETTm1.csv.gz", "73c18304514c26a5cddba02e6538513a0e23b2fbb59752535adbf541c9edc672", _HICR + "ETT-small/ETTm1.csv.gz"),), "15min", "OT", 96, "ett_minute", (96, 192, 336, 720)),
    "ettm2": DatasetInfo((_f("ETT-small/ETTm2.csv.gz", "5122051efae7be24b40bedc80ee445bd18298552b940084f0dbe329c5157110a", _HICR + "ETT-small/ETTm2.csv.gz"),), "15min", "OT", 96, "ett_minute", (96, 192, 336, 720)),
    "weather": DatasetInfo((_f("weather/weather.csv.gz", "862e9b447a3933f14b6f2d3d686a35d3adb5a486f97acfa46869be0e4bb682db", _HICR + "weather/weather.csv.gz"),), "10min", "OT", 144, "ratio", (96, 192, 336, 720)),
    "exchange": DatasetInfo((_f("exchange_rate/exchange_rate.csv", "d55e7aa2641009814a18ba3279431b13f6d413b0eab195b9ff21988d8cf94e97", _SSCF + "exchange_rate/exchange_rate.csv"),), "D", "OT", 1, "ratio", (96, 192, 336, 720)),
    "ili": DatasetInfo((_f("illness/national_illness.csv", "8594cecb98c6f2f9dc014eca11c4d5d1e38ad5ce6ed0592d4abe65b146fce395", _SSCF + "illness/national_illness.csv"),), "7D", "OT", 52, "ratio", (24, 36, 48, 60)),
    "epf_np": DatasetInfo((_f("EPF/NP.csv", "cbba6af8cf505d6d1fcadf87e86b6651abdae4a1adf616ee4956f6c1cd039fb8", _TINA + "NP.csv"),), "h", "OT", 24, "ratio", (24,)),
    "epf_pjm": DatasetInfo((_f("EPF/PJM.csv", "58cc0ad32e22e61d9e183b0dc8201747f8c2ef822e469832c5beea8d88251cc0", _TINA + "PJM.csv"),), "h", "OT", 24, "ratio", (24,)),
    "epf_be": DatasetInfo((_f("EPF/BE.csv", "91f94ae8ed19038b956b321b556d6f22677a5932279fbff281b180e384aa42ad", _TINA + "BE.csv"),), "h", "OT", 24, "ratio", (24,)),
    "epf_fr": DatasetInfo((_f("EPF/FR.csv", "ac400691243cc3aac32a4680d5f428f720da61385277813083b9fe61e642bd0c", _TINA + "FR.csv"),), "h", "OT", 24, "ratio", (24,)),
    "epf_de": DatasetInfo((_f("EPF/DE.csv", "8cdf1e3f52a9c3530bb36432d5f956a287f951cff696f20478e5be069505388c", _TINA + "DE.csv"),), "h", "OT", 24, "ratio", (24,)),
    "m4_hourly": DatasetInfo((_f("m4/Hourly-train.csv", "ea59b7783573c49077a835ab6465c7d66f1474783360f310988a9a737fbca62f", _M4 + "Train/Hourly-train.csv"), _f("m4/Hourly-test.csv", "71a57fccb15e534d973626ada4fb87febf789e9317715b7cc6dd3b5f90db6f42", _M4 + "Test/Hourly-test.csv")), "h", "y", 24, "m4", (48,), kind="m4"),
    "m4_weekly": DatasetInfo((_f("m4/Weekly-train.csv", "d478d3f6ed673e6ed3c2cb0fbed5425f72eedd51318ebebeb0b5ecfcefc37714", _M4 + "Train/Weekly-train.csv"), _f("m4/Weekly-test.csv", "3b2bc4be8e636e802260dcd843ca3c5da40536a1fbe1ecb3229a97dae4f44688", _M4 + "Test/Weekly-test.csv")), "W-SUN", "y", 1, "m4", (13,), kind="m4"),
}  # fmt: skip


@dataclass
class Dataset:
    """A loaded dataset and its metadata.

    Attributes
    ----------
    name : str
    data : pd.DataFrame
        Wide frame (LTSF, EPF) or long training frame (M4).
    info : DatasetInfo
        Frequency, target, seasonality, split scheme, standard horizons.
    test : pd.DataFrame or None
        M4 only: the official test horizon, long.
    original_index : pd.Index or None
        Weather only: the file's own timestamps.
    """

    name: str
    data: pd.DataFrame
    info: DatasetInfo
    test: pd.DataFrame | None = None
    original_index: pd.Index | None = field(default=None, repr=False)

    def borders(self, context_length: int) -> Borders:
        """Standard LTSF train/val/test rows for a lookback (wide datasets only)."""
        if self.info.split == "m4":
            raise ValueError(
                f"{self.name} has an official test set (Dataset.test), not LTSF splits"
            )
        return ltsf_borders(len(self.data), context_length, self.info.split)

    def ltsf(self, context_length: int) -> tuple[pd.DataFrame, Borders]:
        """The LTSF protocol's data: rows up to the test end, z-normalised per channel with the
        training part's mean and (population) standard deviation, and the split borders.

        Returns
        -------
        frame : pd.DataFrame
            ``data.iloc[:borders.test[1]]`` on the normalised scale.
        borders : Borders
        """
        borders = self.borders(context_length)
        frame = self.data.iloc[: borders.test[1]]
        train = frame.iloc[borders.train[0] : borders.train[1]]
        return (frame - train.mean()) / train.std(ddof=0), borders


def data_homes() -> list[Path]:
    """Folders searched for data files, in order."""
    homes = []
    if os.environ.get("TSFM_DATA_HOME"):
        homes.append(Path(os.environ["TSFM_DATA_HOME"]))
    shared = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    if shared.is_dir():
        homes.append(shared)
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tsfm"
    homes.append(cache)
    return homes


def locate(file: FileInfo, download: bool = True) -> Path:
    """Path of a verified copy of ``file``, downloading it into the cache if needed."""
    homes = data_homes()
    for home in homes:
        candidate = home / file.path
        if candidate.is_file():
            verify(candidate, file.sha256)
            return candidate
    target = homes[-1] / file.path
    if download:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(target.suffix + ".part")
            with urllib.request.urlopen(file.url, timeout=20) as response:
                partial.write_bytes(response.read())
            verify(partial, file.sha256)
            partial.rename(target)
            return target
        except OSError as err:
            reason = f"download from {file.url} failed ({err})"
    else:
        reason = "download disabled"
    searched = ", ".join(str(h) for h in homes)
    raise FileNotFoundError(
        f"{file.path} was not found in {searched} and {reason}. Put the file at "
        f"$TSFM_DATA_HOME/{file.path} (sha256 {file.sha256}), or fetch it from {file.url}"
    )


def verify(path: Path, sha256: str) -> None:
    """Refuse a file whose sha256 differs from the registered one."""
    digest = _sha256(str(path), path.stat().st_mtime_ns, path.stat().st_size)
    if digest != sha256:
        raise ValueError(
            f"{path} has sha256 {digest}, expected {sha256}: the file is corrupt or a different "
            "version; replace it with the registered one"
        )


@lru_cache(maxsize=64)
def _sha256(path: str, mtime_ns: int, size: int) -> str:
    return sha256_of(path)  # cached while the file's mtime and size stay the same


def load_dataset(name: str, download: bool = True) -> Dataset:
    """Load a registered dataset (names: :data:`REGISTRY`), verified by sha256.

    Parameters
    ----------
    name : str
        e.g. ``"etth1"``, ``"weather"``, ``"epf_np"``, ``"m4_hourly"``; case-insensitive.
    download : bool
        Try the upstream address when the file is not found locally.
    """
    key = name.lower().replace("-", "_")
    if key not in REGISTRY:
        raise ValueError(f"unknown dataset {name!r}; registered: {sorted(REGISTRY)}")
    info = REGISTRY[key]
    paths = [locate(f, download) for f in info.files]
    if info.kind == "m4":
        train, test = _read_m4(paths[0], paths[1], info.freq)
        return Dataset(key, train, info, test=test)
    encoding = "latin-1" if key == "weather" else None
    frame = pd.read_csv(paths[0], encoding=encoding)
    frame.columns = [c.strip() for c in frame.columns]
    index = pd.DatetimeIndex(pd.to_datetime(frame.pop("date")), name="date")
    original = None
    if key == "weather":
        original = index
        index = pd.date_range(index[0], periods=len(index), freq=info.freq, name="date")
    frame.index = index
    return Dataset(key, frame.astype(np.float64), info, original_index=original)


def _read_m4(train_path: Path, test_path: Path, freq: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    start = pd.Timestamp("1970-01-04" if freq.startswith("W") else "1970-01-01")
    train = pd.read_csv(train_path, index_col=0)
    test = pd.read_csv(test_path, index_col=0)
    step = pd.tseries.frequencies.to_offset(freq)
    train_rows, test_rows = [], []
    for sid, row in train.iterrows():
        y = row.dropna().to_numpy(dtype=np.float64)
        y_test = test.loc[sid].dropna().to_numpy(dtype=np.float64)
        ds = pd.date_range(start, periods=len(y) + len(y_test), freq=step)
        train_rows.append(pd.DataFrame({"unique_id": sid, "ds": ds[: len(y)], "y": y}))
        test_rows.append(pd.DataFrame({"unique_id": sid, "ds": ds[len(y) :], "y": y_test}))
    return pd.concat(train_rows, ignore_index=True), pd.concat(test_rows, ignore_index=True)


# --------------------------------------------------------------------------- Monash .tsf

_TSF_FREQ = {
    "yearly": "YS", "quarterly": "QS", "monthly": "MS", "weekly": "W", "daily": "D",
    "hourly": "h", "half_hourly": "30min", "10_minutes": "10min", "minutely": "min",
    "4_seconds": "4s",
}  # fmt: skip


def read_tsf(path: str | Path) -> tuple[pd.DataFrame, dict]:
    """Read a Monash ``.tsf`` file into a long frame.

    Returns
    -------
    frame : pd.DataFrame
        ``unique_id``, ``ds`` (from ``start_timestamp`` and ``@frequency`` when present, else a
        RangeIndex position) and ``y``; ``?`` becomes NaN.
    meta : dict
        ``frequency``, ``horizon``, ``missing``, ``equallength`` and the attribute names.
    """
    meta: dict = {"attributes": []}
    rows = []
    with open(path, encoding="latin-1") as f:
        in_data = False
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if not in_data:
                key, _, value = line.partition(" ")
                key = key.lower()
                if key == "@attribute":
                    meta["attributes"].append(value.split()[0])
                elif key == "@data":
                    in_data = True
                elif key.startswith("@"):
                    meta[key[1:]] = value.strip()
                continue
            *fields, values = line.split(":")
            attrs = dict(zip(meta["attributes"], fields))
            y = np.array([np.nan if v == "?" else float(v) for v in values.split(",")])
            rows.append((attrs, y))
    freq = _TSF_FREQ.get(meta.get("frequency", ""), None)
    if "horizon" in meta:
        meta["horizon"] = int(meta["horizon"])
    frames = []
    for n, (attrs, y) in enumerate(rows):
        sid = attrs.get("series_name", f"T{n + 1}")
        if freq and "start_timestamp" in attrs:
            start = pd.to_datetime(attrs["start_timestamp"], format="%Y-%m-%d %H-%M-%S")
            ds = pd.date_range(start, periods=len(y), freq=freq)
        else:
            ds = np.arange(len(y))
        frames.append(pd.DataFrame({"unique_id": sid, "ds": ds, "y": y}))
    return pd.concat(frames, ignore_index=True), meta
