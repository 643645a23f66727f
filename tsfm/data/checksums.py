"""sha256 checksums of files, a folder's manifest of them, and JSON read with a clear error.

A saved forecaster's folder holds ``manifest.json``: the sha256 of every other file it wrote.
Loading checks each file it reads against it and refuses one that was changed or damaged (a
flipped bit in the weights, an edited date in ``config.json``), naming the file. A folder saved
before manifests existed still loads, with a warning that it cannot be verified.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Iterable
from pathlib import Path

MANIFEST = "manifest.json"


def sha256_of(path: str | Path) -> str:
    """The hex sha256 of the file ``path``, read in blocks of 1 MiB."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(folder: str | Path, names: Iterable[str]) -> Path:
    """Write ``folder/manifest.json`` with the sha256 of each file ``names`` in ``folder``.

    Parameters
    ----------
    folder : str or Path
        The folder holding the files.
    names : iterable of str
        File names relative to ``folder``.

    Returns
    -------
    Path
        The manifest's path.
    """
    folder = Path(folder)
    sums = {name: sha256_of(folder / name) for name in names}
    path = folder / MANIFEST
    path.write_text(json.dumps({"sha256": sums}, indent=2) + "\n")
    return path


def check_manifest(
    folder: str | Path, names: Iterable[str], *, allow_unverified: bool = False
) -> None:
    """Check each file ``names`` of ``folder`` against its sha256 in ``manifest.json``.

    Parameters
    ----------
    folder : str or Path
        A folder written with :func:`write_manifest`.
    names : iterable of str
        The files about to be read.
    allow_unverified : bool
        Accept a folder without manifest (saved before manifests existed), with a warning;
        by default it is refused, since its files cannot be checked.

    Raises
    ------
    FileNotFoundError
        Naming a file that is absent.
    ValueError
        Naming the file whose sha256 differs from the manifest's or that the manifest does not
        list, or the manifest itself when it is not valid; naming the folder when it has no
        manifest and ``allow_unverified`` is False.

    Warns
    -----
    UserWarning
        When ``folder`` has no manifest and ``allow_unverified``: nothing is checked.
    """
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.exists() and not allow_unverified:
        raise ValueError(
            f"{folder}: no {MANIFEST}, so its files cannot be checked for changes or damage "
            "(a folder saved by a tsfm before saved files were checksummed, or one whose "
            "manifest was removed); refusing to load it. If you trust its files, load it with "
            "allow_unverified=True and save it again to add a manifest"
        )
    if not path.exists():
        warnings.warn(
            f"{folder}: no {MANIFEST} (saved by a tsfm before saved files were checksummed), so "
            "its files cannot be checked for changes or damage; save the model again to add one",
            UserWarning,
            stacklevel=3,
        )
        return
    try:
        sums = json.loads(path.read_text())["sha256"]
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(
            f"{path}: not a valid manifest ({error!r}); the file is damaged, refusing to load"
        ) from None
    for name in names:
        file = folder / name
        if not file.exists():
            raise FileNotFoundError(f"{file}: the file is missing (listed in {path})")
        if name not in sums:
            raise ValueError(f"{file}: not listed in {path}, so it cannot be checked; refusing")
        actual = sha256_of(file)
        if actual != sums[name]:
            raise ValueError(
                f"{file}: sha256 {actual[:12]}... differs from {sums[name][:12]}... recorded in "
                f"{MANIFEST} at save: the file was changed or damaged; refusing to load it"
            )


def read_json(path: str | Path):
    """The JSON document in ``path``; a damaged or truncated file is a ValueError naming it."""
    try:
        return json.loads(Path(path).read_text())
    except ValueError as error:
        raise ValueError(
            f"{path}: not valid JSON ({error}); the file is damaged or truncated"
        ) from None
