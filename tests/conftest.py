"""Shared fixtures: the real radiographs in ../shared/data, and isolation of caches and settings."""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cxr3"
LUNGS = DATA.parent / "lungs"
CLASS_DIRS = {"covid": "COVID-19", "normal": "Healthy", "tuberculosis": "Tuberculosis"}

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

#: Fixtures that read ../shared/data, and those that train a model or scan the whole of cxr3 first.
DATA_FIXTURES = {"cxr3", "small_source", "curated_cxr3", "trained", "tb_screen_source", "four_class_source",
                 "shenzhen_site", "five_sources"}
SLOW_FIXTURES = {"curated_cxr3", "trained", "five_sources"}
#: What in a test's own code reads ../shared/data.
DATA_NAMES = ("need_data(", "real_images(", "DATA", "LUNGS", "DICOM")


def pytest_collection_modifyitems(config, items):
    """Mark each test 'data' when it needs ../shared/data and 'slow' when a fixture it uses trains or scans
    it all (tests that train by themselves carry the mark in their module), so that ``-m "not slow"`` is a
    lane of a few minutes."""
    import inspect

    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        try:
            source = inspect.getsource(item.function)
        except (OSError, TypeError):
            source = ""
        if fixtures & DATA_FIXTURES or any(name in source for name in DATA_NAMES):
            item.add_marker(pytest.mark.data)
        if fixtures & SLOW_FIXTURES:
            item.add_marker(pytest.mark.slow)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def need_data() -> Path:
    if not DATA.is_dir():
        pytest.skip(f"real radiographs not found at {DATA} (see ../shared/data/README.md)")
    return DATA


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """No test reads or writes the user's cache folder."""
    monkeypatch.setenv("CXRDESK_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(scope="session")
def cxr3() -> Path:
    """The whole real dataset, read in place (never written to)."""
    return need_data()


def real_images(label_dir: str, n: int, step: int = 7) -> list[Path]:
    """``n`` real radiographs of one class folder, spread over its sources."""
    files = sorted((need_data() / label_dir).glob("*.png"))
    return files[::step][:n]


@pytest.fixture(scope="session")
def small_source(tmp_path_factory) -> Path:
    """A small copy of real radiographs under messy real-world folder names, with its labels.csv rows."""
    data = need_data()
    root = tmp_path_factory.mktemp("source")
    names = {"covid": "COVID-19", "normal": "Sano", "tuberculosis": "TB"}
    wanted = set()
    for src, dst in names.items():
        (root / dst).mkdir()
        for path in real_images(src, 24):
            shutil.copy2(path, root / dst / path.name)
            wanted.add(f"{src}/{path.name}")
    lines = (data / "labels.csv").read_text().splitlines()
    header = lines[0].split(",")
    col = header.index("filename")
    keep = [lines[0]] + [line for line in lines[1:] if line.split(",")[col] in wanted]
    (root / "labels.csv").write_text("\n".join(keep) + "\n")
    return root


@pytest.fixture(scope="session")
def curated_cxr3(tmp_path_factory) -> Path:
    """The real dataset curated with the defaults (balanced, 80/20 + 10 % test), manifest only."""
    from cxrdesk.curation import CurationSettings, plan_curation
    from cxrdesk.dataset import export_dataset
    from cxrdesk.scanning import scan_folder

    plan = plan_curation(scan_folder(need_data()), CurationSettings(seed=42))
    return export_dataset(plan, tmp_path_factory.mktemp("curated") / "cxr3")


@pytest.fixture(scope="session")
def trained(curated_cxr3, tmp_path_factory) -> Path:
    """A custom CNN trained for 3 epochs at 32 px through the command line, as a user would."""
    from cxrdesk.cli import main

    out = tmp_path_factory.mktemp("models")
    code = main(["train", str(curated_cxr3), "--model", "custom", "--epochs", "3", "--image-size", "32",
                 "--batch-size", "32", "--out", str(out), "--name", "quick", "--seed", "1"])
    assert code == 0
    return out / "quick"


def make_source(root: Path, folders: dict[str, list[Path]]) -> Path:
    """A source folder: one sub-folder per entry, holding copies of the given real radiographs."""
    for folder, files in folders.items():
        (root / folder).mkdir(parents=True)
        for path in files:
            shutil.copy(path, root / folder / path.name)
    return root


@pytest.fixture(scope="session")
def tb_screen_source(tmp_path_factory) -> Path:
    """Tuberculosis vs Healthy, as a screening programme's folders would be named."""
    need_data()
    return make_source(tmp_path_factory.mktemp("tb-screen") / "src",
                       {"TB": real_images("tuberculosis", 30, step=5), "Normal": real_images("normal", 30, step=5)})


@pytest.fixture(scope="session")
def four_class_source(tmp_path_factory) -> Path:
    """The study's three classes and a fourth folder of real radiographs (JSRT films) under a new name."""
    need_data()
    other = sorted((LUNGS / "jsrt" / "images").glob("*.png"))[:24]
    if len(other) < 24:
        pytest.skip(f"radiographs for the fourth class not found in {LUNGS}")
    return make_source(tmp_path_factory.mktemp("four") / "src",
                       {"covid": real_images("covid", 24), "normal": real_images("normal", 24),
                        "tuberculosis": real_images("tuberculosis", 24), "Pneumonia": other})


@pytest.fixture(scope="session")
def shenzhen_site(tmp_path_factory) -> Path:
    """A Shenzhen hospital folder (TB and normal films, 256 px) for the demo model, which never saw it."""
    if not (LUNGS / "pairs.csv").is_file():
        pytest.skip("../shared/data/lungs not found")
    root = tmp_path_factory.mktemp("shenzhen-site")
    with (LUNGS / "pairs.csv").open() as handle:
        rows = [r for r in csv.DictReader(handle) if r["group"] == "shenzhen"]
    for label in ("tuberculosis", "normal"):
        (root / label).mkdir()
        for row in [r for r in rows if r["label"] == label][:60]:
            os.symlink(LUNGS / row["image"], root / label / f"shenzhen__{Path(row['image']).name}")
    return root


PER_CELL = 20  # images per (class folder, source) of five_sources


@pytest.fixture(scope="session")
def five_sources(tmp_path_factory) -> Path:
    """A curated dataset (manifest only) of real cxr3 radiographs from five sources, PER_CELL per (class,
    source): COVID-19 from hannover and ieee8023, tuberculosis from tbx11k and shenzhen128, healthy from nih
    and shenzhen128 - each source big enough to be held out (leave one hospital out)."""
    from cxrdesk.curation import CurationSettings, plan_curation
    from cxrdesk.dataset import export_dataset
    from cxrdesk.scanning import scan_folder

    data = need_data()
    root = tmp_path_factory.mktemp("five") / "src"
    for folder in ("covid", "tuberculosis", "normal"):
        (root / folder).mkdir(parents=True)
        by_source: dict[str, list[Path]] = {}
        for path in sorted((data / folder).glob("*.png")):
            by_source.setdefault(path.name.split("__", 1)[0], []).append(path)
        for files in by_source.values():
            for path in files[:PER_CELL]:
                os.symlink(path, root / folder / path.name)
    plan = plan_curation(scan_folder(root), CurationSettings(seed=42))
    return export_dataset(plan, root.parent / "curated")



# ------------------------------------------------------------------------------- the desktop application

@pytest.fixture()
def settings(tmp_path):
    """Settings in a temporary file: a test never touches the user's."""
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)

@pytest.fixture()
def window(qtbot, settings, tmp_path):
    from cxrdesk.gui.main_window import MainWindow

    settings.setValue("diagnosis/models_dir", str(tmp_path / "no-models"))
    settings.setValue("training/out", str(tmp_path / "models"))
    win = MainWindow(settings, language="en")
    qtbot.addWidget(win)
    win.show()
    win.start_background_work()  # as the application does right after the first paint
    return win
