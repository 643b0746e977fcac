"""The package as pip builds it: every module imports, and the wheel holds every file of the packages.

CI also installs the wheel, non-editable, into a fresh virtual environment and runs the command line
from outside the source tree (``.ci/wheel-check``); these tests catch the same mistakes in seconds.
"""

from __future__ import annotations

import importlib
import pkgutil
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: the core and every package under plugins/ (each ships as a top-level package of the wheel)
PACKAGES = ("iqabench", *sorted(path.name for path in (ROOT / "plugins").iterdir() if (path / "__init__.py").is_file()))
# Modules that need an optional extra, and the extra's top-level import.
OPTIONAL = {"iqabench.executors.ray_actor": "ray", "iqabench.executors.ray_executor": "ray"}


def all_modules() -> list[str]:
    names = []
    for package in PACKAGES:
        module = importlib.import_module(package)
        names.append(package)
        names += [info.name for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}.")]
    return sorted(name for name in names if not name.endswith(".__main__"))  # those run on import


@pytest.mark.parametrize("name", all_modules())
def test_every_module_imports(name):
    extra = OPTIONAL.get(name)
    if extra and importlib.util.find_spec(extra) is None:
        pytest.skip(f"{name} needs the optional package {extra}, which is not installed")
    importlib.import_module(name)


def tracked_package_files() -> set[str]:
    """The files a wheel must hold, as wheel paths: the core, each plugin, and the dataset cards."""
    listed = subprocess.run(["git", "ls-files", "iqabench", "plugins", "datasets"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split()
    wanted = set()
    for path in listed:
        if path.startswith("plugins/"):
            path = path.removeprefix("plugins/")
            if path == "iqabench_datasets/cards":  # the link to datasets/, shipped as the cards themselves
                continue
        elif path.startswith("datasets/"):
            path = "iqabench_datasets/cards/" + path.removeprefix("datasets/")
        wanted.add(path)
    return wanted


@pytest.mark.slow
def test_wheel_holds_every_file_of_the_packages(tmp_path):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout of the project (the list of tracked files)")
    clone = tmp_path / "clone"  # a clean copy: no build/ or egg-info of an editable install
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    for changed in subprocess.run(["git", "ls-files", "--modified", "--others", "--exclude-standard"],
                                  cwd=ROOT, capture_output=True, text=True, check=True).stdout.split():
        if (ROOT / changed).is_file():  # test the working tree, not only what is committed
            (clone / changed).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / changed, clone / changed)
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                            "--quiet", "-w", str(tmp_path / "dist"), str(clone)], capture_output=True, text=True)
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = (tmp_path / "dist").glob("iqabench-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        held = {name for name in archive.namelist() if ".dist-info/" not in name}
    wanted = {path for path in tracked_package_files() if (clone / source_of(path)).exists()}
    assert wanted - held == set(), f"files of the packages missing from the wheel: {sorted(wanted - held)}"
    assert held - wanted == set(), f"files in the wheel that git does not track: {sorted(held - wanted)}"


def source_of(wheel_path: str) -> str:
    """Where a wheel path comes from in the source tree."""
    if wheel_path.startswith("iqabench_datasets/cards/"):
        return "datasets/" + wheel_path.removeprefix("iqabench_datasets/cards/")
    return wheel_path if wheel_path.startswith("iqabench/") else "plugins/" + wheel_path
