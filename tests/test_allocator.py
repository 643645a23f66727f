"""Freed memory kept for reuse: a re-allocated tensor is not paged in again (glibc)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from tsfm.training.allocator import retain_freed_memory

PAGE_FAULTS = """
import resource, sys, torch
from tsfm.training.allocator import retain_freed_memory
if sys.argv[1] == "retain":
    assert retain_freed_memory()
if sys.argv[1] == "left alone":
    assert not retain_freed_memory()
def forward_pass():  # activations of 8 MB, alive together, then freed
    return [torch.empty(2 * 2**20).fill_(1.0) for _ in range(4)]
forward_pass()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    forward_pass()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


def _faults(mode: str, **env: str) -> int:
    done = subprocess.run([sys.executable, "-c", PAGE_FAULTS, mode], capture_output=True,
                          text=True, check=True, env={**os.environ, **env})  # fmt: skip
    return int(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not GLIBC, reason="glibc's mallopt only")
def test_freed_blocks_are_reused_instead_of_paged_in_again():
    assert retain_freed_memory()
    # 20 passes touch 20 x 8192 pages. By default glibc returns them and pages them in again:
    # 163,140 faults here in 3 runs of 4, 10,148 in the others. Kept, a pass now and then pages
    # one 2048-page tensor in anew (0, 2048 or 4096 faults in 20 passes): less than one pass
    assert _faults("retain") < 8192


@pytest.mark.skipif(not GLIBC, reason="glibc's mallopt only")
def test_a_users_own_malloc_settings_are_left_alone():
    _faults("left alone", TSFM_RETAIN_FREED_MEMORY="0")
    _faults("left alone", MALLOC_TRIM_THRESHOLD_="1000000")
