"""The side check: a film mirrored left to right is told from one as taken, its threshold chosen on sources
held out, its bundle exported to ONNX and run without TensorFlow; a diagnosis says it and still answers."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from cxrdesk.imaging import read_grayscale
from cxrdesk.side import SIDE_BUNDLE, SideCheck, SideError, read_side_card

from .conftest import DATA


def _films(per_source: int, sources: tuple[str, ...] = ("hannover", "nih", "tbx11k", "shenzhen128", "ieee8023")):
    with (DATA / "labels.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    chosen = []
    for source in sources:
        of_source = [r for r in rows if r["source_key"] == source]
        chosen += of_source[::len(of_source) // per_source][:per_source]
    return [DATA / r["filename"] for r in chosen], [r["source_key"] for r in chosen]


@pytest.mark.slow
def test_a_side_check_is_trained_with_its_threshold_from_held_out_sources_and_runs_on_onnx(tmp_path):
    """Trained on real films of three sources (a few steps, small images): the bundle has the network, its ONNX
    export and a card whose threshold came from each source held out in turn; ONNX Runtime and Keras agree on
    a film of another size; a changed ONNX file is refused."""
    import keras

    from cxrdesk.side import train_side_bundle

    files, sources = _films(8, ("hannover", "nih", "tbx11k"))
    lines = []
    out = train_side_bundle(files, sources, tmp_path / "side", seed=3, epochs=1, size=32, say=lines.append)
    assert {p.name for p in out.iterdir()} == {"model.keras", "model.onnx", "card.json"}
    card = read_side_card(out)
    assert card.verified and card["films"] == 24 and card["input_size"] == 32 and 0.0 <= card.threshold <= 1.0
    found = card["out_of_source"]
    assert set(found["per_source"]) == {"hannover", "nih", "tbx11k"} and len(lines) == 3
    assert all(0.0 <= v["mirrored_caught"] <= 1.0 and v["films"] == 8 for v in found["per_source"].values())
    check = SideCheck(out)
    film = read_grayscale(files[0]).pixels
    model = keras.models.load_model(out / "model.keras")
    for pixels in (film, np.ascontiguousarray(film[:, ::-1]), film[: film.shape[0] // 2]):
        score = check.score(pixels)
        assert 0.0 <= score <= 1.0
        assert abs(score - float(model(pixels[None, :, :, None].astype(np.float32), training=False)[0, 0])) < 1e-4
    (out / "model.onnx").write_bytes((out / "model.onnx").read_bytes() + b"\0")
    with pytest.raises(SideError, match="does not match its card"):
        SideCheck(out)


def test_the_shipped_side_check_tells_mirrored_films_from_films_as_taken():
    """The shipped network on 40 cxr3 films of the five sources (films it learnt from; its figures on sources
    it never saw are on its card): most mirrored films are flagged, few films as taken."""
    card = read_side_card(SIDE_BUNDLE)
    assert card.verified and card["films"] == 1489 and card["flag_share"] == 0.01
    found = card["out_of_source"]
    assert found["mirrored_caught"] > 0.5 and found["as_given_flagged"] < 0.1  # as measured, stated on the card
    check = SideCheck(SIDE_BUNDLE)
    files, _ = _films(8)
    films = [read_grayscale(f).pixels for f in files]
    flagged = sum(check.mirrored(f) is not None for f in films)
    caught = sum(check.mirrored(np.ascontiguousarray(f[:, ::-1])) is not None for f in films)
    assert flagged <= 4 and caught >= 20, (flagged, caught)  # measured: 0 and 26


def test_a_mirrored_film_is_said_and_still_diagnosed(tmp_path, capsys):
    """The demo model on a film mirrored left to right: a diagnosis (not a refusal) with the note, in the JSON and
    the command line's text; the same film as taken has no note."""
    from PIL import Image

    from cxrdesk.bundle import DEMO_BUNDLE
    from cxrdesk.cli import main
    from cxrdesk.diagnosis import Diagnoser

    check = SideCheck(SIDE_BUNDLE)
    files, _ = _films(8, ("tbx11k",))
    film = next(read_grayscale(f).pixels for f in files
                if check.score(np.ascontiguousarray(read_grayscale(f).pixels[:, ::-1])) > 0.9)
    Image.fromarray(np.ascontiguousarray(film[:, ::-1])).save(tmp_path / "mirrored.png")
    Image.fromarray(film).save(tmp_path / "as-taken.png")
    diagnoser = Diagnoser.open(DEMO_BUNDLE)
    assert diagnoser.summary["side_check"]
    result = diagnoser.diagnose(tmp_path / "mirrored.png")
    assert not result.refused and result.predicted is not None and result.mirrored > check.threshold
    assert "mirrored left to right" in result.mirrored_sentence()
    assert diagnoser.diagnose(tmp_path / "as-taken.png").mirrored is None
    assert main(["diagnose", str(tmp_path / "mirrored.png"), "--model", str(DEMO_BUNDLE), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)["results"][0]
    assert record["mirrored"] is True and record["mirrored_score"] > check.threshold and record["predicted"]
    assert main(["diagnose", str(tmp_path / "mirrored.png"), "--model", str(DEMO_BUNDLE)]) == 0
    assert "Note: the film seems mirrored left to right" in capsys.readouterr().out
