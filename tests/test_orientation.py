"""The orientation check: a film mirrored, upside down or on its side is told from one as taken, its thresholds
chosen on sources held out, its bundle exported to ONNX and run without TensorFlow; a diagnosis refuses a turned
film with the way it seems turned, says a mirrored one and still answers."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from cxrdesk.imaging import read_grayscale
from cxrdesk.orientation import (NAMES, ORIENTATION_BUNDLE, ORIENTATIONS, OrientationCheck, OrientationError,
                                 read_orientation_card, thresholds)

from .conftest import DATA

SOURCES = ("hannover", "nih", "tbx11k", "shenzhen128", "ieee8023")


def _films(per_source: int, sources: tuple[str, ...] = SOURCES):
    with (DATA / "labels.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    chosen = []
    for source in sources:
        of_source = [r for r in rows if r["source_key"] == source]
        chosen += of_source[::len(of_source) // per_source][:per_source]
    return [DATA / r["filename"] for r in chosen], [r["source_key"] for r in chosen]


def _shown(pixels: np.ndarray, way: str) -> np.ndarray:
    return np.ascontiguousarray(ORIENTATIONS[way](pixels[np.newaxis])[0])


@pytest.mark.slow
def test_an_orientation_check_is_trained_with_thresholds_from_held_out_sources_and_runs_on_onnx(tmp_path):
    """Trained on real films of three sources (a few steps, small images): the bundle has the network, its ONNX
    export and a card whose thresholds came from each source held out in turn; ONNX Runtime and Keras agree on
    a film of another size; a changed ONNX file is refused."""
    import keras

    from cxrdesk.orientation import train_orientation_bundle

    files, sources = _films(8, ("hannover", "nih", "tbx11k"))
    lines = []
    out = train_orientation_bundle(files, sources, tmp_path / "orientation", seed=3, epochs=1, size=32,
                                   say=lines.append)
    assert {p.name for p in out.iterdir()} == {"model.keras", "model.onnx", "card.json"}
    card = read_orientation_card(out)
    assert card.verified and card["films"] == 24 and card["input_size"] == 32 and card["outputs"] == NAMES
    assert 0.5 <= card.turn_threshold <= 1.0 and 0.0 <= card.mirror_threshold <= 1.0
    found = card["out_of_source"]
    assert set(found["per_source"]) == {"hannover", "nih", "tbx11k"} and len(lines) == 3
    for figures in found["per_source"].values():
        assert figures["films"] == 8 and set(figures["turned_refused"]) == set(NAMES[2:])
        assert all(0.0 <= share <= 1.0 for share in figures["turned_refused"].values())
    check = OrientationCheck(out)
    film = read_grayscale(files[0]).pixels
    model = keras.models.load_model(out / "model.keras")
    for pixels in (film, _shown(film, "mirrored"), film[: film.shape[0] // 2]):
        p = check.probabilities(pixels)
        assert p.shape == (6,) and abs(float(p.sum()) - 1.0) < 1e-5
        assert np.abs(p - np.asarray(model(pixels[None, :, :, None].astype(np.float32), training=False)[0])).max() < 1e-4
    (out / "model.onnx").write_bytes((out / "model.onnx").read_bytes() + b"\0")
    with pytest.raises(OrientationError, match="does not match its card"):
        OrientationCheck(out)


def test_thresholds_refuse_and_flag_the_stated_shares_of_films_as_taken():
    """On made-up out-of-source scores: the turn threshold is the quantile that refuses 0.5 % of films as taken,
    never below one half; the mirror threshold flags 1 % of the films it lets through."""
    rng = np.random.default_rng(0)
    scores = rng.dirichlet(np.ones(6) * 0.3, size=(6, 2000)).astype(np.float32)
    turn, mirror = thresholds(scores)
    turned = scores[0, :, 2:].sum(-1)
    assert turn >= 0.5 and (turned > turn).mean() <= 0.005 + 1e-9
    kept = turned <= turn
    assert abs((scores[0, kept, 1] > mirror).mean() - 0.01) < 0.002
    calm = np.zeros((6, 1000, 6), dtype=np.float32)
    calm[..., 0] = 1.0  # every film as taken certainly so: the turn threshold stays at one half
    assert thresholds(calm)[0] == 0.5


def test_the_shipped_check_refuses_turned_films_and_says_mirrored_ones():
    """The shipped network on 40 cxr3 films of the five sources (films it learnt from; its figures on sources it
    never saw are on its card): films as taken pass, turned ones are refused and named, most mirrored ones said."""
    from cxrdesk.bundle import BundleError, read_card

    card = read_orientation_card(ORIENTATION_BUNDLE)
    assert card.verified and card["films"] == 1489 and card["outputs"] == NAMES
    with pytest.raises(BundleError, match="orientation check .*not a classifier"):
        read_card(ORIENTATION_BUNDLE)  # chosen where a classifier is asked for: said what it is
    found = card["out_of_source"]  # as measured, stated on the card
    assert found["as_taken_refused"] < 0.02 and min(found["turned_refused"].values()) > 0.95
    assert found["mirrored_flagged"] > 0.4 and found["as_taken_flagged"] < 0.03
    check = OrientationCheck(ORIENTATION_BUNDLE)
    files, _ = _films(8)
    films = [read_grayscale(f).pixels for f in files]
    seen = [check.look(f) for f in films]
    assert sum(bool(s.turned) for s in seen) == 0 and sum(s.mirrored is not None for s in seen) <= 4
    for way, said in (("upside down", "upside down"), ("rotated 180 degrees", "upside down"),
                      ("turned 90 degrees clockwise", "turned 90 degrees clockwise"),
                      ("turned 90 degrees counter-clockwise", "turned 90 degrees counter-clockwise")):
        turned = [check.look(_shown(f, way)).turned for f in films]
        assert sum(bool(t) for t in turned) >= 38, way
        assert sum(t.values.get("turn") == said for t in turned if t) >= 34, way
        assert all(t.code == "turned" and t.values["score"] > check.turn_threshold for t in turned if t)
    caught = sum(check.look(_shown(f, "mirrored")).mirrored is not None for f in films)
    assert caught >= 20, caught


def test_a_turned_film_is_refused_and_a_mirrored_one_said_and_still_diagnosed(tmp_path, capsys):
    """The demo model: a film on its side gets no diagnosis and says which way it seems turned; a film mirrored left
    to right gets a diagnosis with the note, in the JSON and the command line's text; the film as taken neither."""
    from PIL import Image

    from cxrdesk.bundle import DEMO_BUNDLE
    from cxrdesk.cli import main
    from cxrdesk.diagnosis import Diagnoser

    check = OrientationCheck(ORIENTATION_BUNDLE)
    files, _ = _films(8, ("tbx11k",))
    film = next(read_grayscale(f).pixels for f in files
                if check.look(_shown(read_grayscale(f).pixels, "mirrored")).mirrored is not None)
    Image.fromarray(_shown(film, "mirrored")).save(tmp_path / "mirrored.png")
    Image.fromarray(_shown(film, "turned 90 degrees clockwise")).save(tmp_path / "on-its-side.png")
    Image.fromarray(film).save(tmp_path / "as-taken.png")
    diagnoser = Diagnoser.open(DEMO_BUNDLE)
    assert diagnoser.summary["orientation_check"]
    result = diagnoser.diagnose(tmp_path / "mirrored.png")
    assert not result.refused and result.predicted is not None and result.mirrored > check.mirror_threshold
    assert "mirrored left to right" in result.mirrored_sentence()
    on_its_side = diagnoser.diagnose(tmp_path / "on-its-side.png")
    assert on_its_side.refused and on_its_side.mirrored is None
    assert any(w.code == "turned" and w.values["turn"] == "turned 90 degrees clockwise" for w in on_its_side.warnings)
    as_taken = diagnoser.diagnose(tmp_path / "as-taken.png")
    assert not as_taken.refused and as_taken.mirrored is None
    assert main(["diagnose", str(tmp_path / "mirrored.png"), "--model", str(DEMO_BUNDLE), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)["results"][0]
    assert record["mirrored"] is True and record["mirrored_score"] > check.mirror_threshold and record["predicted"]
    assert main(["diagnose", str(tmp_path / "mirrored.png"), "--model", str(DEMO_BUNDLE)]) == 0
    assert "Note: the film seems mirrored left to right" in capsys.readouterr().out
    main(["diagnose", str(tmp_path / "on-its-side.png"), "--model", str(DEMO_BUNDLE)])
    assert "the film seems turned 90 degrees clockwise" in capsys.readouterr().out


def test_without_the_orientation_check_the_lung_model_checks_the_turn(tmp_path, monkeypatch):
    """Where no orientation check is shipped, a diagnosis still refuses a film upside down (the lung model's check)
    and says nothing of the side."""
    from PIL import Image

    from cxrdesk import diagnosis
    from cxrdesk.bundle import DEMO_BUNDLE

    monkeypatch.setattr(diagnosis, "load_orientation_check", lambda: None)
    files, _ = _films(2, ("tbx11k",))
    film = read_grayscale(files[0]).pixels
    Image.fromarray(_shown(film, "upside down")).save(tmp_path / "upside-down.png")
    diagnoser = diagnosis.Diagnoser.open(DEMO_BUNDLE)
    assert not diagnoser.summary["orientation_check"]
    result = diagnoser.diagnose(tmp_path / "upside-down.png")
    assert result.refused and result.mirrored is None
    assert any(w.code == "turned" and "back" in w.values for w in result.warnings)
