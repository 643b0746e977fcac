"""A corpus of bad inputs and what each must give.

One table per kind of input: images, label files, score stores, environment values, weight files. Each
case builds its bad input in a temporary folder and names its expected outcome:

- :class:`Scored`: the run completes (exit 0) and the image, or every image given, is scored;
- :class:`Failure`: the run completes with exit 1 and the image has a recorded failure whose reason holds
  the given text (a reason of its own, not a generic one);
- :class:`Exit`: the command ends with that exit code of the README's table and says the given text.

Every call goes through the command line (``iqabench.cli.main``, with its argument parsing, error handling
and exit codes), in this process through click's runner so that torch and the plugins are imported once
(a fresh interpreter imports torch for a minute on the 2-core development machine); the cases on read-only
media need a mount namespace and run ``python -m iqabench`` in a subprocess. Whatever the outcome, a
command never ends with a traceback, and a run that completes counts every image given: scored now +
stored + missing + failed = the files (or label rows) given.

The image cases run together, in one run over one folder, so their count is one assertion. A toy metric
plugin (``corpus-probe``, installed through a real entry point) scores an image with its decoded size
(``height * 1000 + width + mean``) so that a case can check the size the metric saw (EXIF rotation, the
first frame of an animation), and misbehaves on purpose for images of four sizes (raises, NaN, infinity,
not a number).
"""

from __future__ import annotations

import csv
import io
import os
import pickle
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pytest
from bad_inputs import (
    HUGE_SIDE,
    ODD_SIZE,
    build_bad_image_corpus,
    build_odd_image_corpus,
    picture,
)
from click.testing import CliRunner
from PIL import Image
from shared_data import SHARED, needs_shared, requires_shared

from iqabench.cli import main
from iqabench.store import ScoreKey, ScoreStore
from iqabench.testing import install_entry_point

PROBE = "corpus-probe"
PLUGIN = "corpus"
#: (width, height) of the images the probe misbehaves on.
RAISES, NAN, INFINITE, NOT_A_NUMBER = (29, 23), (31, 23), (37, 23), (41, 23)

PROBE_PLUGIN = f"""
import iqabench


class Probe(iqabench.Metric):
    name = "{PROBE}"
    min_size = 8
    batch_size = 4

    def score_batch(self, images, refs=None):
        scores = []
        for image in images:
            height, width = image.shape[-2:]
            if (width, height) == {RAISES}:
                raise RuntimeError("the probe cannot score a {RAISES[0]}x{RAISES[1]} image")
            scores.append({{{NAN}: float("nan"), {INFINITE}: float("inf"), {NOT_A_NUMBER}: "n/a"}}.get(
                (width, height), height * 1000 + width + float(image.mean())))
        return scores


@iqabench.hookimpl
def register_metrics(register):
    register(Probe())
"""

#: the documented exit codes (README: 0, 1, 2, 3, 130).
EXIT_CODES = {0, 1, 2, 3, 130}
HAS_PYIQA = find_spec("pyiqa") is not None
needs_pyiqa = pytest.mark.skipif(not HAS_PYIQA, reason="needs the optional pyiqa extra")
#: loading a pyiqa model imports pyiqa, which takes minutes of wall time on the busy 2-core machine.
loads_pyiqa = (needs_pyiqa, pytest.mark.pyiqa, pytest.mark.slow)


# --- outcomes -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scored:
    """Exit 0; the image has a score (the metric saw it ``size`` = (width, height) when given)."""

    size: tuple[int, int] | None = None


@dataclass(frozen=True)
class Failure:
    """Exit 1; the image has no score and a failure whose reason holds ``reason`` (the image: the case's file;
    for the other kinds ``sample``, or the Call's when only the build knows it)."""

    reason: str
    sample: str | None = None


@dataclass(frozen=True)
class Exit:
    """The command ends with ``code`` and its messages (stderr, whitespace folded) hold ``message``."""

    code: int
    message: str


@dataclass
class Call:
    """A command a case runs: its arguments, environment, the images (or label rows) it gives, and more
    text the messages must hold or a check of its own."""

    args: list[str]
    env: dict[str, str] = field(default_factory=dict)
    given: int | None = None
    also: tuple[str, ...] = ()
    check: Callable[[], None] | None = None
    metric: str = PROBE
    #: run in a subprocess under this command prefix (e.g. a read-only mount) instead of in this process.
    wrapper: tuple[str, ...] | None = None
    #: the sample a Failure is about, where only the build knows it (an absolute path in tmp_path).
    sample: str | None = None


@dataclass(frozen=True)
class Case:
    name: str
    kind: str
    expect: Scored | Failure | Exit
    #: image cases: the file (sample id) the case writes; other cases: build(tmp_path) -> Call.
    file: str = ""
    build: Callable[[Path], Call] | None = None
    marks: tuple = ()
    xfail: str = ""

    def param(self):
        marks = list(self.marks)
        if self.xfail:
            marks.append(pytest.mark.xfail(strict=True, reason=self.xfail))
        return pytest.param(self, id=self.name, marks=marks)


# --- running the command line -------------------------------------------------------------------------------------

@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    traceback: str | None

    @property
    def message(self) -> str:
        return " ".join(self.stderr.split())


#: every variable iqabench reads, unset unless a case sets it; nothing of the developer's setup leaks in.
IQABENCH_VARIABLES = ("IQABENCH_STORE", "IQABENCH_DATA", "IQABENCH_WEIGHTS_DIR", "IQABENCH_OFFLINE",
                      "IQABENCH_MAX_PIXELS", "IQABENCH_BATCH_PIXELS", "IQABENCH_PLUGINS", "IQABENCH_DISABLE_PLUGINS",
                      "IQABENCH_TRUST_WEIGHTS", "IQABENCH_ALLOW_OUTSIDE_ROOT")


def environment(tmp: Path, call: Call) -> dict[str, str | None]:
    env: dict[str, str | None] = dict.fromkeys(IQABENCH_VARIABLES)
    env.update(COLUMNS="200", IQABENCH_OFFLINE="1", IQABENCH_DATA=str(tmp / "data-home"),
               TORCH_HOME=str(tmp / "torch-home"))
    env.update(call.env)
    return env


def iqabench(call: Call, tmp: Path, site: Path) -> Outcome:
    env = environment(tmp, call)
    if call.wrapper is not None:
        full = {k: v for k, v in os.environ.items() if k not in env}
        full.update({k: v for k, v in env.items() if v is not None})
        full["PYTHONPATH"] = os.pathsep.join([str(site), full.get("PYTHONPATH", "")])
        done = subprocess.run([*call.wrapper, sys.executable, "-m", "iqabench", *call.args], check=False,
                              capture_output=True, text=True, env=full, timeout=600)
        traceback = done.stderr if "Traceback (most recent call last)" in done.stderr else None
        return Outcome(done.returncode, done.stdout, done.stderr, traceback)
    result = CliRunner().invoke(main, call.args, env=env)
    traceback = None
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback as tb

        traceback = "".join(tb.format_exception(*result.exc_info))
    return Outcome(result.exit_code, result.stdout, result.stderr, traceback)


def counts(stdout: str, metric: str = PROBE) -> tuple[int, int, int, int]:
    """scored now, stored, missing, failed, from ``<metric>: N scored now, N stored, N missing, N failed``."""
    found = re.search(rf"^{re.escape(metric)}: (\d+) scored now, (\d+) stored, (\d+) missing, (\d+) failed",
                      stdout, re.MULTILINE)
    assert found, f"no summary line for {metric} in:\n{stdout}"
    return tuple(int(n) for n in found.groups())


def exported(store: Path, tmp: Path) -> dict[str, dict[str, str]]:
    """The store's per-image rows by sample id, through ``iqabench export``."""
    outcome = iqabench(Call(["export", "--store", str(store)]), tmp, tmp)
    assert outcome.code == 0 and outcome.traceback is None, outcome.stderr
    return {row["sample_id"]: row for row in csv.DictReader(io.StringIO(outcome.stdout))}


def check_outcome(case: Case, call: Call, outcome: Outcome, tmp: Path) -> None:
    assert outcome.traceback is None, f"a traceback instead of a message:\n{outcome.traceback}"
    assert "Traceback" not in outcome.stderr, outcome.stderr
    assert outcome.code in EXIT_CODES, (outcome.code, outcome.stderr)
    expect = case.expect
    wanted = {Scored: 0, Failure: 1}.get(type(expect), getattr(expect, "code", None))
    assert outcome.code == wanted, f"exit {outcome.code}, expected {wanted}:\n{outcome.stderr}\n{outcome.stdout}"
    if isinstance(expect, Exit):
        assert expect.message in outcome.message, outcome.message
    for text in call.also:
        assert text in outcome.message, (text, outcome.message)
    if isinstance(expect, (Scored, Failure)):
        assert call.given is not None, "a case whose run completes says how many images it gives"
    if outcome.code in (0, 1) and call.given is not None:  # the run completed: every image given is counted
        scored, stored, missing, failed = counts(outcome.stdout, call.metric)
        assert scored + stored + missing + failed == call.given, (scored, stored, missing, failed, call.given)
        if isinstance(expect, Scored):
            assert missing == failed == 0 and scored + stored == call.given
        if isinstance(expect, Failure):
            assert failed >= 1
            row = exported(store_of(call), tmp)[expect.sample or call.sample]
            assert row["score"] == "" and expect.reason in row["error"], row
            assert f"{failed} image(s) failed" in outcome.message
    if call.check is not None:
        call.check()


def store_of(call: Call) -> Path:
    return Path(call.args[call.args.index("--store") + 1])


# --- images: one folder, one run ------------------------------------------------------------------------------------

def png(path: Path, size: tuple[int, int], **options) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    picture(*size).save(path, "PNG", **options)
    return path


def save(fmt: str, size=(48, 40), **options) -> Callable[[Path], None]:
    return lambda path: picture(*size).save(path, fmt, **options)


def write_animated(path: Path) -> None:
    frames = [picture(24, 16), picture(24, 16).rotate(180), picture(24, 16).convert("L").convert("RGB")]
    frames[0].save(path, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def write_constant(path: Path, side: int = 32) -> None:
    Image.new("RGB", (side, side), (128, 128, 128)).save(path, "PNG")


def write_trailing_garbage(path: Path) -> None:
    buffer = io.BytesIO()
    picture(48, 40).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue() + b"\x00garbage after IEND" * 10)


def write_jpeg_named_png(path: Path) -> None:
    picture(48, 40).save(path, "JPEG", quality=90)


IMAGE_CASES = [
    # build_bad_image_corpus: each refused by load_image with its own reason
    Case("zero-byte file", "image", Failure("empty file (0 bytes)"), "empty.png"),
    Case("text file named .jpg", "image", Failure("not an image: Pillow recognises no image format"), "text_as.jpg"),
    Case("HTML error page named .jpg", "image", Failure("looks like an HTML or XML page"), "html_error_page.jpg"),
    Case("1 KiB of zeros named .png", "image", Failure("no image format in this 1,024-byte file"), "zeros.png"),
    Case("truncated JPEG", "image", Failure("truncated JPEG file: it ends before its image data"), "truncated.jpg"),
    Case("truncated PNG", "image", Failure("truncated PNG file: it ends before its image data"), "truncated.png"),
    Case("PNG truncated inside its header", "image", Failure("truncated PNG file: it ends inside its header"),
         "truncated_header.png"),
    Case("corrupt PNG header", "image", Failure("corrupt or unsupported PNG header"), "corrupt_header.png"),
    Case("corrupt JPEG data", "image", Failure("corrupt JPEG data"), "corrupt_data.jpg"),
    Case("corrupt PNG data", "image", Failure("corrupt PNG data"), "corrupt_data.png"),
    Case("huge header (30000x30000)", "image",
         Failure(f"image too large: {HUGE_SIDE}×{HUGE_SIDE} = {HUGE_SIDE * HUGE_SIDE:,} pixels; the limit is "
                 "100,000,000 pixels"), "huge.png"),
    Case("2x2 image", "image", Failure("image too small: 2×2 pixels; this metric needs at least 8"), "tiny.png"),
    Case("zero-width PNG", "image", Failure("zero-size image: the PNG header says 0×16"), "zero_width.png"),
    Case("GIF without frames", "image", Failure("no more images in GIF file"), "zero_frames.gif"),
    Case("premultiplied grey+alpha TIFF", "image", Failure("unsupported pixel mode 'La'"), "unsupported_mode.tif"),
    Case("float TIFF outside [0, 1]", "image", Failure("floating-point pixels outside [0, 1]"),
         "float_out_of_range.tif"),
    Case("int32 TIFF outside 0..65535", "image", Failure("32-bit integer pixels outside 0..65535"),
         "int32_out_of_range.tif"),
    Case("directory named .png", "image", Failure("a directory, not an image file"), "folder.png"),
    # build_odd_image_corpus: valid files in unusual modes, all scored at their size
    Case("greyscale", "image", Scored(ODD_SIZE), "grey.png"),
    Case("grey + alpha", "image", Scored(ODD_SIZE), "grey_alpha.png"),
    Case("palette with transparency", "image", Scored(ODD_SIZE), "palette_transparent.png"),
    Case("RGBA", "image", Scored(ODD_SIZE), "rgba.png"),
    Case("CMYK JPEG", "image", Scored(ODD_SIZE), "cmyk.jpg"),
    Case("CIELAB TIFF", "image", Scored(ODD_SIZE), "lab.tif"),
    Case("1-bit bilevel", "image", Scored(ODD_SIZE), "bilevel.png"),
    Case("EXIF-rotated JPEG (orientation 6)", "image", Scored((ODD_SIZE[1], ODD_SIZE[0])), "exif_rotated.jpg"),
    Case("16-bit grey PNG", "image", Scored(ODD_SIZE), "grey16.png"),
    Case("16-bit big-endian TIFF", "image", Scored(ODD_SIZE), "grey16_big_endian.tif"),
    Case("float TIFF in [0, 1]", "image", Scored(ODD_SIZE), "float.tif"),
    Case("48-bit RGB PNG", "image", Scored(ODD_SIZE), "rgb48.png"),
    # written here
    Case("1x1 image", "image", Failure("image too small: 1×1 pixels"), "one_pixel.png",
         lambda path: png(path, (1, 1))),
    Case("7x9: one pixel under the metric's minimum", "image", Failure("image too small: 7×9 pixels"),
         "under_minimum.png", lambda path: png(path, (7, 9))),
    Case("8x8: exactly the metric's minimum", "image", Scored((8, 8)), "at_minimum.png",
         lambda path: png(path, (8, 8))),
    Case("animated GIF (first frame scored)", "image", Scored((24, 16)), "animated.gif", write_animated),
    Case("constant grey image", "image", Scored((32, 32)), "constant.png", write_constant),
    Case("PNG with trailing bytes after IEND", "image", Scored((48, 40)), "trailing.png", write_trailing_garbage),
    Case("JPEG named .png", "image", Scored((48, 40)), "jpeg_inside.png", write_jpeg_named_png),
    Case("upper-case extension .JPG", "image", Scored((48, 40)), "UPPER.JPG", save("JPEG", quality=90)),
    Case("progressive JPEG", "image", Scored((48, 40)), "progressive.jpg", save("JPEG", progressive=True)),
    Case("BMP", "image", Scored((48, 40)), "bitmap.bmp", save("BMP")),
    Case("WebP", "image", Scored((48, 40)), "picture.webp", save("WEBP", quality=90)),
    Case("metric raises on the image", "image", Failure("RuntimeError: the probe cannot score a 29x23 image"),
         "raises.png", lambda path: png(path, RAISES)),
    Case("metric returns NaN", "image", Failure("metric returned a non-finite score (nan)"), "nan.png",
         lambda path: png(path, NAN)),
    Case("metric returns infinity", "image", Failure("metric returned a non-finite score (inf)"), "inf.png",
         lambda path: png(path, INFINITE)),
    Case("metric returns a string", "image", Failure("could not convert string to float: 'n/a'"), "string.png",
         lambda path: png(path, NOT_A_NUMBER)),
    Case("dangling symbolic link", "image", Failure("dangling symbolic link"), "dangling.png",
         lambda path: path.symlink_to(path.parent / "deleted-long-ago.png")),
    Case("symbolic link loop", "image", Failure("symbolic link loop"), "loop.png",
         lambda path: path.symlink_to(path.name)),
    Case("FIFO named .png", "image", Failure("not a regular file (a pipe, socket or device)"), "pipe.png",
         lambda path: os.mkfifo(path)),
    Case("symbolic link to an image outside the root", "image", Failure("outside the dataset root"), "escape.png",
         lambda path: path.symlink_to(png(path.parent.parent / "outside" / "private.png", (48, 40)))),
]


@pytest.fixture(scope="module")
def image_run(tmp_path_factory):
    """Every image case in one folder, scored by one ``iqabench run``; its outcome and exported rows."""
    tmp = tmp_path_factory.mktemp("images")
    root = tmp / "folder"
    build_bad_image_corpus(root)
    build_odd_image_corpus(root)
    (root / "grey16.pgm").unlink()  # not an extension of the folder dataset: not a file given
    for case in IMAGE_CASES:
        if case.build is not None:
            case.build(root / case.file)
    given = sorted(os.listdir(root))
    assert given == sorted(case.file for case in IMAGE_CASES), "every file in the folder is a case, and each once"
    site = install_entry_point(tmp, "iqabench", PLUGIN, PROBE_PLUGIN)
    store = tmp / "s.sqlite"
    call = Call(["run", "-m", PROBE, "-d", "folder", "--root", str(root), "--store", str(store), "--workers", "0"],
                given=len(given))
    outcome = iqabench(call, tmp, site)
    return call, outcome, exported(store, tmp)


def test_the_image_run_completes_and_counts_every_file_given(image_run):
    call, outcome, rows = image_run
    assert outcome.traceback is None and "Traceback" not in outcome.stderr, outcome.traceback or outcome.stderr
    assert outcome.code == 1, outcome.stderr  # completed, with failures
    failures = sum(isinstance(case.expect, Failure) for case in IMAGE_CASES)
    assert counts(outcome.stdout) == (len(IMAGE_CASES) - failures, 0, 0, failures)
    assert sum(counts(outcome.stdout)) == call.given == len(IMAGE_CASES)
    assert f"{failures} image(s) failed" in outcome.message
    assert sorted(rows) == sorted(case.file for case in IMAGE_CASES)  # one stored row per file: nothing dropped
    reasons = {rows[case.file]["error"] for case in IMAGE_CASES if isinstance(case.expect, Failure)}
    assert len(reasons) == failures, "every failed image has a reason of its own"
    assert len(IMAGE_CASES) == len({case.name for case in IMAGE_CASES})


@pytest.mark.parametrize("case", [case.param() for case in IMAGE_CASES])
def test_image(case, image_run):
    _, _, rows = image_run
    row = rows[case.file]
    if isinstance(case.expect, Scored):
        assert row["error"] == "" and row["score"] != "", row
        if case.expect.size is not None:
            score = float(row["score"])  # height * 1000 + width + mean
            assert (int(score) % 1000, int(score) // 1000) == case.expect.size, score
    else:
        assert row["score"] == "" and case.expect.reason in row["error"], row["error"]


# --- label files, stores, environment values, weight files: one command each ---------------------------------------

def write_pngs(root: Path, names=("a.png", "b.png", "c.png")) -> Path:
    for i, name in enumerate(names):
        png(root / name, (40 + 4 * i, 32))
    return root


def run_args(root: Path, store: Path, dataset: str = "metainfo", metric: str = PROBE, *more: str) -> list[str]:
    return ["run", "-m", metric, "-d", dataset, "--root", str(root), "--store", str(store), "--workers", "0",
            "--resamples", "20", *more]


def labels(text: str | bytes, *more: str, names=("a.png", "b.png", "c.png"), given: int | None = None):
    """A metainfo root holding ``names`` as images and ``text`` as its meta_info.csv."""
    def build(tmp: Path) -> Call:
        root = write_pngs(tmp / "data", names)
        (root / "meta_info.csv").write_bytes(text if isinstance(text, bytes) else text.encode())
        return Call(run_args(root, tmp / "s.sqlite", "metainfo", PROBE, *more), given=given)
    return build


GOOD_ROWS = "a.png,1.0\nb.png,2.0\nc.png,3.0\n"


def label_rows(*rows: str, given: bool = True, more=()):
    text = "name,mos\n" + "".join(row + "\n" for row in rows)
    return labels(text, *more, given=len(rows) if given else None)


def outside_row(tmp: Path) -> Call:
    root = write_pngs(tmp / "data")
    png(tmp / "outside.png", (48, 40))
    (root / "meta_info.csv").write_text("name,mos\na.png,1\nb.png,2\n../outside.png,3\n")
    return Call(run_args(root, tmp / "s.sqlite"), given=3)


def absolute_row(tmp: Path) -> Call:
    root = write_pngs(tmp / "data")
    secret = tmp / "private" / "passwd"
    secret.parent.mkdir()
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    (root / "meta_info.csv").write_text(f"name,mos\na.png,1\nb.png,2\n{secret},3\n")
    return Call(run_args(root, tmp / "s.sqlite"), given=3, sample=str(secret))


def link_row(tmp: Path) -> Call:
    root = write_pngs(tmp / "data")
    (root / "link.png").symlink_to(png(tmp / "elsewhere" / "x.png", (48, 40)))
    (root / "meta_info.csv").write_text("name,mos\na.png,1\nb.png,2\nlink.png,3\n")
    return Call(run_args(root, tmp / "s.sqlite"), given=3)


def directory_row(tmp: Path) -> Call:
    root = write_pngs(tmp / "data")
    (root / "dir.png").mkdir()
    (root / "meta_info.csv").write_text("name,mos\na.png,1\nb.png,2\ndir.png,3\n")
    return Call(run_args(root, tmp / "s.sqlite"), given=3)


def no_label_file(tmp: Path) -> Call:
    return Call(run_args(write_pngs(tmp / "data"), tmp / "s.sqlite"), also=(str(tmp / "data" / "meta_info.csv"),))


def labels_option_to_absent_file(tmp: Path) -> Call:
    root = write_pngs(tmp / "data")
    (root / "meta_info.csv").write_text("name,mos\n" + GOOD_ROWS)
    return Call(run_args(root, tmp / "s.sqlite", "metainfo", PROBE, "--labels", str(tmp / "absent.csv")),
                also=(str(tmp / "absent.csv"),))


LATIN1 = "name,mos\na.png,1\ncafé.png,2\n".encode("latin-1")

LABEL_CASES = [
    Case("no label file in the root", "labels", Exit(3, "meta_info.csv not found"), build=no_label_file),
    Case("--labels names an absent file", "labels", Exit(3, "absent.csv not found"),
         build=labels_option_to_absent_file),
    Case("empty label file", "labels", Exit(3, "is empty; expected a header"), build=labels(b"")),
    Case("header only", "labels", Exit(3, "has a header but no rows"), build=labels("name,mos\n")),
    Case("NaN MOS", "labels", Exit(3, "MOS is 'nan'; every image needs a finite score"),
         build=label_rows("a.png,1", "b.png,nan", "c.png,3", given=False)),
    Case("infinite MOS", "labels", Exit(3, "MOS is 'inf'; every image needs a finite score"),
         build=label_rows("a.png,1", "b.png,inf", "c.png,3", given=False)),
    Case("non-numeric MOS", "labels", Exit(3, "line 3: MOS 'good' is not a number"),
         build=label_rows("a.png,1", "b.png,good", "c.png,3", given=False)),
    Case("empty MOS cell", "labels", Exit(3, "line 3: MOS '' is not a number"),
         build=label_rows("a.png,1", "b.png,", "c.png,3", given=False)),
    Case("duplicate rows", "labels", Exit(3, "image 'a.png' is labelled again"),
         build=label_rows("a.png,1", "b.png,2", "a.png,3", given=False)),
    Case("duplicate rows differing in case", "labels", Exit(3, "image 'A.PNG' is labelled again"),
         build=label_rows("a.png,1", "b.png,2", "A.PNG,3", given=False)),
    Case("row with a field too many", "labels", Exit(3, "3 field(s) where the header has 2"),
         build=label_rows("a.png,1", "b.png,2,5", given=False)),
    Case("semicolon-separated file", "labels", Exit(3, "is not a pyiqa meta-info header"),
         build=labels("name;mos\na.png;1\nb.png;2\n")),
    Case("unterminated quote", "labels", Exit(3, "field(s) where the header has 2"),
         build=labels('name,mos\na.png,1\n"b.png,2\n')),
    Case("label file in Latin-1", "labels", Exit(3, "is not UTF-8 text: byte 0xE9 at byte offset 20 (line 3)"),
         build=labels(LATIN1, names=("a.png", "café.png"))),
    Case("binary label file", "labels", Exit(3, "It does not look like a text file"),
         build=labels(bytes(range(256)) * 8)),
    Case("NUL byte in the label file", "labels", Exit(3, "it holds a NUL byte at byte offset 17 (line 3)"),
         build=labels(b"name,mos\na.png,1\n\x00b.png,2\n")),
    Case("UTF-16 label file (Excel's Unicode text)", "labels", Exit(3, "It starts with a UTF-16 byte-order mark"),
         build=labels("name,mos\na.png,1\n".encode("utf-16"))),
    Case("UTF-8 with a byte-order mark", "labels", Scored(),
         build=labels(b"\xef\xbb\xbfname,mos\n" + GOOD_ROWS.encode(), given=3)),
    Case("CRLF line ends", "labels", Scored(), build=labels(("name,mos\n" + GOOD_ROWS).replace("\n", "\r\n"), given=3)),
    Case("non-ASCII image name in UTF-8", "labels", Scored(),
         build=labels("name,mos\na.png,1\ncafé photo.png,2\n", names=("a.png", "café photo.png"), given=2)),
    Case("row naming an absent image", "labels", Exit(3, "1 of 4 images of dataset 'metainfo' are missing"),
         build=label_rows("a.png,1", "b.png,2", "c.png,3", "absent.png,4", given=False)),
    Case("row naming an absent image, --allow-missing", "labels",
         Exit(0, "1 image(s) missing from metainfo (first: absent.png)"),
         build=label_rows("a.png,1", "b.png,2", "c.png,3", "absent.png,4", more=("--allow-missing",))),
    Case("../ path in a row", "labels", Failure("outside the dataset root", "../outside.png"), build=outside_row),
    Case("absolute path in a row", "labels", Failure("outside the dataset root"), build=absolute_row),
    Case("row naming a link that leads out of the root", "labels", Failure("outside the dataset root", "link.png"),
         build=link_row),
    Case("row naming a directory", "labels", Failure("a directory, not an image file", "dir.png"),
         build=directory_row),
    Case("row with an empty image name", "labels", Exit(3, "meta_info.csv, line 3"),
         build=label_rows("a.png,1", ",2", given=False)),
]


def folder_run(tmp: Path, *more: str, store: Path | None = None, env=None, given: bool = True) -> Call:
    root = write_pngs(tmp / "img")
    return Call(run_args(root, store or tmp / "s.sqlite", "folder", PROBE, *more), env=env or {},
                given=3 if given else None)


def filled_store(path: Path, rows: int = 40) -> Path:
    key = ScoreKey("m", "c", "w", "d")
    with ScoreStore(path) as store:
        run = store.begin_run(key, metric_config={}, weights={}, dataset_root="/", device="cpu", host="h",
                              versions={})
        store.add_scores(key, run, [(f"sample-{i:05d}", "h" * 64, float(i), None, 0.0) for i in range(rows)])
        store.end_run(run, status="completed", total=rows, scored=rows, stored=0, missing=0, failed=0)
    return path


def store_bytes(make: Callable[[Path], bytes]):
    def build(tmp: Path) -> Call:
        store = tmp / "s.sqlite"
        data = make(filled_store(tmp / "scratch.sqlite", 400))
        store.write_bytes(data)
        return folder_run(tmp, store=store, given=False)
    return build


def other_database(tmp: Path) -> Call:
    conn = sqlite3.connect(tmp / "photos.db")
    conn.execute("CREATE TABLE photos (name TEXT)")
    conn.commit()
    conn.close()
    return folder_run(tmp, store=tmp / "photos.db", given=False)


def newer_schema(tmp: Path) -> Call:
    store = filled_store(tmp / "s.sqlite")
    conn = sqlite3.connect(store)
    conn.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    conn.commit()
    conn.close()
    return folder_run(tmp, store=store, given=False)


def store_is_a_directory(tmp: Path) -> Call:
    (tmp / "s.sqlite").mkdir()
    return folder_run(tmp, given=False)


def store_folder_is_a_file(tmp: Path) -> Call:
    (tmp / "notes.txt").write_text("a file where the store's folder should be\n")
    return folder_run(tmp, store=tmp / "notes.txt" / "s.sqlite", given=False)


def export_without_store(tmp: Path) -> Call:
    return Call(["export", "--store", str(tmp / "absent.sqlite")])


def stale_running_run(tmp: Path) -> Call:
    """A run left ``running`` by a process that is gone: its pid is recorded with another process's start
    token (as when the pid was reused after a SIGKILL)."""
    store = tmp / "s.sqlite"
    key = ScoreKey(PROBE, "c", "w", "folder")
    with ScoreStore(store) as opened:
        stale = opened.begin_run(key, metric_config={}, weights={}, dataset_root="/", device="cpu",
                                 host=socket.gethostname(), versions={})
        opened.conn.execute("UPDATE runs SET process='a process that ended long ago' WHERE id=?", (stale,))

    def check():
        with ScoreStore(store, readonly=True) as opened:
            statuses = [(run["id"], run["status"]) for run in opened.runs()]
        assert (stale, "interrupted") in statuses and statuses[-1][1] == "completed", statuses
    call = folder_run(tmp, store=store)
    call.check = check
    return call


def zero_byte_store(tmp: Path) -> Call:
    (tmp / "s.sqlite").write_bytes(b"")
    return folder_run(tmp)


def read_only_mount() -> tuple[str, ...] | None:
    """A prefix that runs a command with ``$RO`` bind-mounted read-only in a mount namespace of its own."""
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return None
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount --bind /tmp /tmp && mount -o remount,bind,ro /tmp /tmp"],
        check=False, capture_output=True)
    if probe.returncode != 0:
        return None
    remount = 'mount --bind "$RO" "$RO" && mount -o remount,bind,ro "$RO" "$RO" && exec "$@"'
    return ("unshare", "-m", "sh", "-c", remount, "read-only")


def on_read_only_media(command: str):
    def build(tmp: Path) -> Call:
        wrapper = read_only_mount()
        if wrapper is None:
            pytest.skip("needs unshare and mount (a read-only bind mount) to put the store on read-only media")
        media = tmp / "media"
        store = filled_store(media / "s.sqlite", 10)
        before = sorted(os.listdir(media))

        def unchanged():
            assert sorted(os.listdir(media)) == before

        # the subprocess loads only the datasets and the probe: effres imports torch when it registers
        env = {"RO": str(media), "IQABENCH_PLUGINS": f"datasets,{PLUGIN}"}
        if command == "export":
            return Call(["export", "--store", str(store)], env=env, wrapper=wrapper, check=unchanged)
        call = folder_run(tmp, store=store, env=env, given=False)
        call.wrapper, call.check = wrapper, unchanged
        return call
    return build


STORE_CASES = [
    Case("store is a text file", "store", Exit(3, "is damaged or is not an SQLite database"),
         build=store_bytes(lambda path: b"this is not a database, it is a shopping list\n" * 100)),
    Case("store of random bytes", "store", Exit(3, "is damaged or is not an SQLite database"),
         build=store_bytes(lambda path: np.random.default_rng(3).bytes(path.stat().st_size))),
    Case("store truncated to its first 60 bytes", "store", Exit(3, "is damaged or is not an SQLite database"),
         build=store_bytes(lambda path: path.read_bytes()[:60])),
    Case("store truncated to half", "store", Exit(3, "is damaged or is not an SQLite database"),
         build=store_bytes(lambda path: path.read_bytes()[: path.stat().st_size // 2])),
    Case("store with its pages after the first zeroed", "store", Exit(3, "is damaged or is not an SQLite database"),
         build=store_bytes(lambda path: path.read_bytes()[:4096] + bytes(path.stat().st_size - 4096))),
    Case("another application's SQLite database", "store",
         Exit(3, "is an SQLite database but not an iqabench score store (it has the tables photos)"),
         build=other_database),
    Case("store of a newer schema", "store", Exit(3, "has schema version 99, written by a newer iqabench"),
         build=newer_schema),
    Case("store path is a directory", "store", Exit(3, "check that it is a file this user may read and write"),
         build=store_is_a_directory),
    Case("store's folder is a file", "store", Exit(3, "cannot create the folder of the score store"),
         build=store_folder_is_a_file),
    Case("export without a store", "store", Exit(2, "no score store at"), build=export_without_store),
    Case("zero-byte store file", "store", Scored(), build=zero_byte_store),
    Case("stale run left running by a killed process", "store", Scored(), build=stale_running_run),
    Case("run on a store on read-only media", "store",
         Exit(3, "it is on read-only media or in a folder this user cannot write"), build=on_read_only_media("run"),
         marks=(pytest.mark.slow,)),
    Case("export of a store on read-only media (mode=ro)", "store", Exit(0, "10 rows written"),
         build=on_read_only_media("export"), marks=(pytest.mark.slow,)),
]


def with_env(**env: str):
    return lambda tmp: folder_run(tmp, env=env)


def with_env_niqe(**env: str):
    def build(tmp: Path) -> Call:
        call = folder_run(tmp, env={"IQABENCH_WEIGHTS_DIR": str(tmp / "no-weights"), **env}, given=False)
        call.args[call.args.index(PROBE)] = "niqe"
        call.metric = "niqe"
        return call
    return build


def store_env_directory(tmp: Path) -> Call:
    (tmp / "store-dir").mkdir()
    call = folder_run(tmp, env={"IQABENCH_STORE": str(tmp / "store-dir")}, given=False)
    call.also = (f"cannot write the score store {tmp / 'store-dir'}",)
    at = call.args.index("--store")
    del call.args[at:at + 2]
    return call


def data_env_file(tmp: Path) -> Call:
    (tmp / "data.txt").write_text("not a folder\n")
    return Call(["run", "-m", PROBE, "-d", "folder", "--store", str(tmp / "s.sqlite")],
                env={"IQABENCH_DATA": str(tmp / "data.txt")}, also=(str(tmp / "data.txt" / "folder"),))


ENV_CASES = [
    Case("IQABENCH_MAX_PIXELS=abc", "env", Exit(2, "IQABENCH_MAX_PIXELS='abc' is not a positive whole number"),
         build=with_env(IQABENCH_MAX_PIXELS="abc")),
    Case("IQABENCH_MAX_PIXELS=0", "env", Exit(2, "IQABENCH_MAX_PIXELS='0' is not a positive whole number"),
         build=with_env(IQABENCH_MAX_PIXELS="0")),
    Case("IQABENCH_MAX_PIXELS=1e8", "env", Exit(2, "IQABENCH_MAX_PIXELS='1e8' is not a positive whole number"),
         build=with_env(IQABENCH_MAX_PIXELS="1e8")),
    Case("IQABENCH_MAX_PIXELS=100 (smaller than every image)", "env",
         Failure("image too large: 40×32 = 1,280 pixels; the limit is 100 pixels", "a.png"),
         build=with_env(IQABENCH_MAX_PIXELS="100")),
    Case("IQABENCH_MAX_PIXELS empty (the default)", "env", Scored(), build=with_env(IQABENCH_MAX_PIXELS="")),
    Case("IQABENCH_BATCH_PIXELS=lots", "env", Exit(2, "IQABENCH_BATCH_PIXELS='lots' is not a positive whole number"),
         build=with_env(IQABENCH_BATCH_PIXELS="lots")),
    Case("IQABENCH_BATCH_PIXELS=-1", "env", Exit(2, "IQABENCH_BATCH_PIXELS='-1' is not a positive whole number"),
         build=with_env(IQABENCH_BATCH_PIXELS="-1")),
    Case("IQABENCH_OFFLINE=maybe", "env", Exit(2, "IQABENCH_OFFLINE='maybe' is not a yes/no value"),
         build=with_env(IQABENCH_OFFLINE="maybe")),
    Case("IQABENCH_OFFLINE=maybe with a metric that has weights", "env",
         Exit(2, "IQABENCH_OFFLINE='maybe' is not a yes/no value"), build=with_env_niqe(IQABENCH_OFFLINE="maybe"),
         marks=(needs_pyiqa,)),
    Case("IQABENCH_ALLOW_OUTSIDE_ROOT=maybe", "env", Exit(2, "IQABENCH_ALLOW_OUTSIDE_ROOT='maybe' is not a yes/no"),
         build=with_env(IQABENCH_ALLOW_OUTSIDE_ROOT="maybe")),
    Case("IQABENCH_PLUGINS=nothing", "env",
         Exit(2, "IQABENCH_PLUGINS='nothing' loads only the plugins it names (nothing: no such plugin is installed)"),
         build=with_env(IQABENCH_PLUGINS="nothing")),
    Case("IQABENCH_DISABLE_PLUGINS names the metric's plugin", "env",
         Exit(2, f"IQABENCH_DISABLE_PLUGINS='{PLUGIN}' skips those it names. Left out: {PLUGIN}."),
         build=with_env(IQABENCH_DISABLE_PLUGINS=PLUGIN)),
    Case("IQABENCH_STORE is a directory", "env", Exit(3, "check that it is a file this user may read and write"),
         build=store_env_directory),
    Case("IQABENCH_DATA is a file", "env", Exit(3, "Dataset 'folder'"), build=data_env_file),
]


class TouchesAFile:
    """Unpickling this creates the file at ``marker``: what a hostile weight file would do, harmlessly."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


BRISQUE, NIQE, MUSIQ = "brisque_svm_weights.pth", "niqe_modelparameters.mat", "musiq_koniq_ckpt-e95806b9.pth"
BRISQUE_SHA256 = "bcf8a997d4acc835f372b18934f4c699a9047a255a75fa3f8ad6abaa2aa4c79e"


def weights_run(metric: str, file: str, write: Callable[[Path, Path], None] | None, trust: bool = False):
    """A folder run of ``metric`` with ``IQABENCH_WEIGHTS_DIR`` holding ``file`` as ``write`` makes it (absent
    when None), trusted when asked; a crafted pickle's marker must never appear."""
    def build(tmp: Path) -> Call:
        from iqabench.hashing import file_sha256

        path = tmp / "weights" / "pyiqa" / file
        path.parent.mkdir(parents=True)
        marker = tmp / "MARKER-the-pickle-ran"
        also: tuple[str, ...] = (file,)
        if write is not None:
            write(path, marker)
            if path.is_file():  # the message names the file, and its sha256 when it refuses it
                also = (str(path),) + (() if trust else (file_sha256(path),))
        env = {"IQABENCH_WEIGHTS_DIR": str(tmp / "weights")}
        if trust:
            env["IQABENCH_TRUST_WEIGHTS"] = str(path)
        call = folder_run(tmp, env=env, given=False)
        call.args[call.args.index(PROBE)] = metric
        call.metric, call.also = metric, also

        def never_unpickled():
            assert not marker.exists(), "a crafted pickle was deserialised"
        call.check = never_unpickled
        return call
    return build


def hostile(path: Path, marker: Path) -> None:
    with open(path, "wb") as handle:
        pickle.dump(TouchesAFile(marker), handle)


def corrupt(path: Path, marker: Path) -> None:
    path.write_bytes(b"\x00 this is not a weight file \x00")


def wrong_structure(path: Path, marker: Path) -> None:
    import torch

    torch.save({"not": torch.zeros(2)}, path)


WEIGHTS_CASES = [
    Case("crafted pickle as brisque weights", "weights",
         Exit(3, "refused before it was loaded"), build=weights_run("brisque", BRISQUE, hostile),
         marks=(needs_pyiqa,)),
    Case("zero-byte brisque weights", "weights", Exit(3, f"pinned to sha256 {BRISQUE_SHA256}"),
         build=weights_run("brisque", BRISQUE, lambda path, marker: path.write_bytes(b"")), marks=(needs_pyiqa,)),
    Case("MUSIQ checkpoint whose bytes do not match the hash in its name", "weights",
         Exit(3, "refused before it was loaded"), build=weights_run("musiq", MUSIQ, hostile), marks=(needs_pyiqa,)),
    Case("brisque weights file is a directory", "weights", Exit(3, f"Weight file '{BRISQUE}' is missing"),
         build=weights_run("brisque", BRISQUE, lambda path, marker: path.mkdir()), marks=(needs_pyiqa,)),
    Case("niqe weights missing, offline", "weights", Exit(3, f"Weight file '{NIQE}' is missing"),
         build=weights_run("niqe", NIQE, None), marks=(needs_pyiqa,)),
    Case("trusted brisque weights that are not a checkpoint", "weights",
         Exit(3, "could not be loaded by torch.load: UnpicklingError"),
         build=weights_run("brisque", BRISQUE, corrupt, trust=True), marks=loads_pyiqa),
    Case("trusted niqe parameters that are a damaged .mat", "weights",
         Exit(3, "could not be loaded by scipy.io.loadmat"),
         build=weights_run("niqe", NIQE, lambda path, marker: path.write_bytes(b"MATLAB 5.0 MAT-file, truncated"),
                           trust=True), marks=loads_pyiqa),
    Case("trusted brisque weights of another structure", "weights", Exit(3, "could not use its weight file(s)"),
         build=weights_run("brisque", BRISQUE, wrong_structure, trust=True), marks=loads_pyiqa),
]


def niqe_on_a_constant_image(tmp: Path) -> Call:
    root = tmp / "img"
    png(root / "photo.png", (128, 128))
    write_constant(root / "constant.png", 128)  # NIQE needs 96 pixels a side
    return Call(run_args(root, tmp / "s.sqlite", "folder", "niqe"),
                env={"IQABENCH_WEIGHTS_DIR": str(SHARED / "weights")}, given=2, metric="niqe")


SEPARATE_IMAGE_CASES = [
    Case("constant image for NIQE", "image", Failure("the image is constant", "constant.png"),
         build=niqe_on_a_constant_image, marks=(*loads_pyiqa, requires_shared, needs_shared(f"weights/pyiqa/{NIQE}"))),
]

OTHER_CASES = LABEL_CASES + STORE_CASES + ENV_CASES + WEIGHTS_CASES + SEPARATE_IMAGE_CASES
ALL_CASES = IMAGE_CASES + OTHER_CASES


@pytest.mark.parametrize("case", [case.param() for case in OTHER_CASES])
def test_bad_input(case, tmp_path):
    site = install_entry_point(tmp_path, "iqabench", PLUGIN, PROBE_PLUGIN)
    call = case.build(tmp_path)
    check_outcome(case, call, iqabench(call, tmp_path, site), tmp_path)


def test_the_corpus_is_large_and_every_case_is_named_once():
    assert len(ALL_CASES) >= 40
    assert len({case.name for case in ALL_CASES}) == len(ALL_CASES)
    assert {case.kind for case in ALL_CASES} == {"image", "labels", "store", "env", "weights"}
    assert all(case.expect.code in EXIT_CODES for case in ALL_CASES if isinstance(case.expect, Exit))
