"""The command line as a user runs it: tables, JSON, and one-line errors with non-zero exits."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cxrdesk import __version__
from cxrdesk.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_scan_prints_a_table_and_the_shortcut_warning(capsys, small_source):
    code, out, err = run(capsys, "scan", str(small_source), "--preset", "study")
    assert code == 0
    assert "Sano -> Healthy" in out and "TB -> Tuberculosis" in out
    assert "kept [120-140]" in out and "SHORTCUT WARNING" in out


def test_scan_json(capsys, small_source):
    code, out, _ = run(capsys, "scan", str(small_source), "--low", "100", "--high", "160", "--json")
    report = json.loads(out)
    assert code == 0 and report["band"] == [100, 160]
    assert {c: v["images"] for c, v in report["classes"].items()} == {"COVID-19": 24, "Healthy": 24, "Tuberculosis": 24}
    assert sum(report["histogram"]["counts"]["All"]) == 72


def test_curate_writes_and_reports(capsys, small_source, tmp_path):
    code, out, _ = run(capsys, "curate", str(small_source), "--out", str(tmp_path / "ds"), "--seed", "5",
                       "--test", "0.25", "--link")
    assert code == 0 and "Curated dataset written to" in out and "train" in out
    assert (tmp_path / "ds" / "manifest.csv").is_file() and (tmp_path / "ds" / "train").is_dir()
    code, _, err = run(capsys, "curate", str(small_source), "--out", str(tmp_path / "ds"))
    assert code == 1 and err.count("\n") == 1 and "already exists" in err and "--force" in err


@pytest.mark.parametrize("argv, code, words", [
    (["scan", "/no/such/folder"], 1, "folder not found"),
    (["scan"], 2, "required: src"),
    (["curate", "x"], 2, "required: --out"),
    (["scan", ".", "--preset", "best"], 2, "invalid choice"),
    (["frobnicate"], 2, "invalid choice"),
])
def test_errors_are_one_line(capsys, argv, code, words):
    try:
        got = main(argv)
    except SystemExit as exc:  # argparse exits by itself
        got = exc.code
    assert got == code
    _, err = capsys.readouterr()
    assert words in err and err.count("\n") == 1 and "Traceback" not in err


def test_folder_without_classes(capsys, tmp_path):
    (tmp_path / "images").mkdir()
    code, _, err = run(capsys, "scan", str(tmp_path))
    assert code == 1 and "no class folders" in err and "images" in err


def test_installed_command_and_version():
    result = subprocess.run([sys.executable, "-m", "cxrdesk", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == f"cxrdesk {__version__}"


def test_scan_refuses_an_inverted_band_as_curate_does(small_source):
    for command in ("scan", "curate"):
        extra = ["--out", "unused"] if command == "curate" else []
        result = subprocess.run([sys.executable, "-m", "cxrdesk", command, str(small_source), "--low", "200",
                                 "--high", "100", *extra], capture_output=True, text=True)
        assert result.returncode == 1 and "0 <= low <= high <= 255" in result.stderr


def test_compare_takes_a_folder_of_bundles_and_names_what_is_not_one(trained, tmp_path):
    import shutil

    models = tmp_path / "models"
    shutil.copytree(trained, models / "good")
    shutil.copytree(trained, models / "edited")
    card = json.loads((models / "edited" / "card.json").read_text())
    (models / "edited" / "card.json").write_text(json.dumps({**card, "demo": True}))
    (models / "notes").mkdir()
    (models / "readme.txt").write_text("not a bundle")
    for argv in ([str(models)], [str(p) for p in sorted(models.iterdir())]):
        result = subprocess.run([sys.executable, "-m", "cxrdesk", "compare", *argv], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert "quick" in result.stdout and result.stdout.count("quick") == 1  # only the good bundle is listed
        assert "edited after CXRDesk wrote it" in result.stderr and "notes is not a CXRDesk model bundle" in result.stderr


@pytest.mark.slow
def test_too_little_data_is_said_at_curation_and_refused_at_training(tmp_path):
    from .conftest import make_source, real_images

    source = make_source(tmp_path / "tiny", {"TB": real_images("tuberculosis", 2), "Normal": real_images("normal", 2)})
    curated = subprocess.run([sys.executable, "-m", "cxrdesk", "curate", str(source), "--out", str(tmp_path / "ds")],
                             capture_output=True, text=True)
    assert curated.returncode == 0, curated.stderr
    assert "Warning: the val split has fewer than 10 images" in curated.stdout
    assert "Warning: the test split has fewer than 10 images" in curated.stdout
    train = [sys.executable, "-m", "cxrdesk", "train", str(tmp_path / "ds"), "--recipe", "study", "--epochs", "1", "--image-size", "16",
             "--out", str(tmp_path / "models")]
    refused = subprocess.run(train, capture_output=True, text=True)
    assert refused.returncode == 1 and "no validation images" in refused.stderr
    assert not list((tmp_path / "models").glob("*/card.json"))  # no bundle written
    allowed = subprocess.run([*train, "--no-validation", "--name", "anyway"], capture_output=True, text=True)
    assert allowed.returncode == 0, allowed.stderr
    evaluated = subprocess.run([sys.executable, "-m", "cxrdesk", "evaluate", str(tmp_path / "ds"), "--model",
                                str(tmp_path / "models" / "anyway"), "--split", "test"], capture_output=True, text=True)
    assert evaluated.returncode == 1 and "no 'test' images" in evaluated.stderr


def test_no_tensorflow_chatter_unless_verbose(trained):
    from .conftest import real_images

    quiet = subprocess.run([sys.executable, "-m", "cxrdesk", "diagnose", str(real_images("normal", 1)[0]),
                            "--model", str(trained)], capture_output=True, text=True)
    assert quiet.returncode == 0, quiet.stderr
    for noise in ("E0000", "I0000", "cuInit", "oneDNN", "absl"):
        assert noise not in quiet.stderr + quiet.stdout
    models = subprocess.run([sys.executable, "-m", "cxrdesk", "models", "--json"], capture_output=True, text=True)
    assert models.returncode == 0 and "I0000" not in models.stderr and "absl" not in models.stderr


def test_every_option_of_every_command_says_what_it_does():
    import argparse

    from cxrdesk.cli import build_parser

    silent = []

    def walk(parser, command):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, name)
            elif not isinstance(action, argparse._HelpAction) and not (action.help or "").strip():
                silent.append(f"{command} {'/'.join(action.option_strings) or action.dest}")

    walk(build_parser(), "cxrdesk")
    assert not silent, f"options without help: {silent}"
