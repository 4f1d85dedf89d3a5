"""Model cards: one reader and one writer for classifiers and lung models, signed, and cards from before
still read (an older CXRDesk's card keeps what it said, and says what it lacks)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cxrdesk.bundle import BundleError, Card, amend_card, read_card
from cxrdesk.card import CARD_FILE, card_digest, write_card
from cxrdesk.lungs import LUNG_BUNDLE, LungModelError, read_lung_card

BEFORE = Path(__file__).with_name("data") / "card-before-estimate.json"  # the demo model's card before crossval


def test_a_card_from_before_the_estimate_still_reads(tmp_path):
    old = json.loads(BEFORE.read_text())
    assert "expected_at_new_hospital" not in old and "uncertain" not in old["calibration"]
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / CARD_FILE).write_text(BEFORE.read_text())  # as that CXRDesk wrote it, byte for byte
    card = read_card(folder)
    assert card.verified and card_digest(card) == old["card_sha256"]
    assert card.expected_at_new_hospital is None and card.uncertain is None  # it says what it lacks
    assert card.classes == ("COVID-19", "Healthy", "Tuberculosis") and card.lung_field == "mask"
    held = card.held_out  # its headline stays its test on a hospital it never saw
    assert held["sources"] == ["shenzhen128"]
    assert card.quality_sentence().startswith(f"{held['general_precision']:.1%} general precision on")


def test_the_one_writer_signs_and_an_edit_by_hand_is_refused(tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    card = json.loads(BEFORE.read_text())
    write_card(folder, {**card, "name": "renamed"})
    assert read_card(folder).name == "renamed" and read_card(folder).verified
    amended = amend_card(folder, lambda c: c.update(note="added later"))
    assert amended["note"] == "added later" and isinstance(amended, Card)
    text = (folder / CARD_FILE).read_text().replace('"renamed"', '"better"')
    (folder / CARD_FILE).write_text(text)
    with pytest.raises(BundleError, match="edited after CXRDesk wrote it"):
        read_card(folder)
    with pytest.raises(BundleError, match="edited after CXRDesk wrote it"):
        amend_card(folder, lambda c: c.update(note="over an edit"))  # never signs over an edit by hand


def test_lung_and_classifier_cards_share_the_reader_and_refuse_each_other(tmp_path):
    shipped = read_lung_card(LUNG_BUNDLE)  # signed since `cxrdesk export` added its ONNX through amend_card
    assert shipped.format == "cxrdesk-lungs/1" and shipped.input_size == 128 and shipped.verified
    older = tmp_path / "older-lungs"  # as an older CXRDesk wrote it, before cards were signed: read, unverified
    older.mkdir()
    (older / CARD_FILE).write_text(json.dumps({k: v for k, v in shipped.items() if k != "card_sha256"}))
    lung = read_lung_card(older)
    assert lung.format == "cxrdesk-lungs/1" and lung.input_size == 128 and not lung.verified
    with pytest.raises(BundleError, match="is a lung segmentation model, not a classifier"):
        read_card(LUNG_BUNDLE)
    classifier = tmp_path / "c"
    classifier.mkdir()
    shutil.copy(BEFORE, classifier / CARD_FILE)
    with pytest.raises(LungModelError, match="a classifier is not a lung model"):
        read_lung_card(classifier)


def test_a_run_is_timed_before_it_starts_from_an_earlier_run_of_the_same_kind():
    """The newest earlier run of the same network, size, lung field and device gives the seconds per epoch,
    scaled to this run's training images; another network, size, field or device gives none."""
    from cxrdesk.bundle import Card, expected_duration

    def card(name, architecture="vgg16", size=224, field="mask", device="cpu", per_epoch=300.0, train=1000):
        return Card({"name": name, "architecture": architecture, "input": {"image_size": size, "lung_field": field},
                     "training": {"device": device, "seconds_per_epoch": per_epoch},
                     "dataset": {"split_sizes": {"train": train}}})

    cards = [card("other-size", size=128), card("newest", per_epoch=300.0), card("older", per_epoch=900.0)]
    expected = expected_duration(cards, "vgg16", 224, "mask", "cpu", train_images=2000, epochs=120)
    assert expected["from_run"] == "newest" and expected["seconds_per_epoch"] == 600.0
    assert expected["seconds"] == 600.0 * 120
    for other in ({"architecture": "custom"}, {"size": 64}, {"field": "off"}, {"device": "gpu"}):
        assert expected_duration([card("x", **other)], "vgg16", 224, "mask", "cpu", 2000, 120) is None
    assert expected_duration([card("unmeasured", per_epoch=None)], "vgg16", 224, "mask", "cpu", 2000, 120) is None
