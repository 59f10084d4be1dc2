"""The wheel carries every built-in config, so a non-editable install runs from any directory,
and chapter 7's compiled kernels."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_every_config_and_the_compiled_kernels(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("hpexp-*.whl")
    shipped = {n for n in zipfile.ZipFile(wheel).namelist() if n.startswith("hpexp/conf/")}
    expected = {
        f"hpexp/conf/{p.relative_to(ROOT / 'conf').as_posix()}"
        for p in (ROOT / "conf").rglob("*.yaml")
    }
    assert expected
    assert shipped == expected
    compiled = sorted(
        Path(name).name.split(".")[0]
        for name in zipfile.ZipFile(wheel).namelist()
        if name.startswith("hpexp/workloads/kernels/") and name.endswith(".so")
    )
    assert compiled == ["_c", "_cython"]
