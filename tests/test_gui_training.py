"""The Training tab: a run with live charts, stop, the registries, the lung field, and the estimate for
a new hospital (pytest-qt, offscreen)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("pytestqt")
from cxrdesk.classes import STUDY_CLASSES as CLASSES  # noqa: E402

from .conftest import real_images  # noqa: E402


def test_train_one_epoch_with_live_charts_then_compare(window, qtbot, curated_cxr3):
    tab = window.training
    tab.dataset.setText(str(curated_cxr3))
    tab.epochs.setValue(2)
    tab.batch.setValue(32)
    tab.size.setValue(32)
    seen = []
    tab.curves.add_epoch = (lambda original: lambda record: (seen.append(record), original(record)))(tab.curves.add_epoch)
    tab.start_button.click()
    assert not tab.start_button.isEnabled() and tab.stop_button.isEnabled()
    qtbot.waitUntil(lambda: len(tab.curves.history) == 2, timeout=180000)
    assert [h["epoch"] for h in seen] == [1, 2]
    assert tab.curves.loss_ax.lines and tab.curves.acc_ax.lines  # points were drawn
    qtbot.waitUntil(lambda: tab.metrics.rowCount() > 0, timeout=120000)
    assert tab.metrics.item(len(CLASSES), 0).text() == "General precision"
    assert tab.compare.rowCount() == 1 and tab.compare.item(0, 3).text() == "CPU"
    from PySide6.QtCore import Qt

    run = tab.compare.item(0, 0)  # a long run name is elided in the middle, and whole in its tooltip
    assert tab.compare.textElideMode() == Qt.TextElideMode.ElideMiddle and run.toolTip() == run.text() != ""
    assert window.diagnosis.model.count() == 1  # the new model is offered for diagnosis
    card = json.loads(next(__import__("pathlib").Path(tab.out.text()).glob("*/card.json")).read_text())
    assert f"the model saved is epoch {card['training']['best_epoch']}, the one of lowest validation loss" in (
        tab.epoch_label.text())  # which epoch the saved model is, said

def test_a_long_run_is_timed_and_asked_for_before_it_starts(window, trained, curated_cxr3, monkeypatch):
    """120 epochs of the network, size and lung field of an earlier run in the models folder: the tab says how
    long, from which run, and starts nothing when the user says no. What counts as long is lowered to a
    second here, so that the question comes however fast this machine trained the earlier run."""
    from PySide6.QtWidgets import QMessageBox

    from cxrdesk.gui import training_tab

    monkeypatch.setattr(training_tab, "LONG_RUN", 1)
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda parent, title, text: asked.append(text) or QMessageBox.StandardButton.No)
    tab = window.training
    tab.dataset.setText(str(curated_cxr3))
    tab.out.setText(str(trained.parent))
    tab.epochs.setValue(120)
    tab.size.setValue(32)
    tab.start_button.click()
    assert len(asked) == 1 and "expected to take up to" in asked[0] and "'quick'" in asked[0], asked
    assert tab.run is None and tab.start_button.isEnabled()


def _a_long_run_past_its_first_epoch(window, qtbot, dataset):
    """The Training tab with a 100-epoch run of a small network started and its first epoch done."""
    tab = window.training
    tab.dataset.setText(str(dataset))
    tab.epochs.setValue(100)
    tab.batch.setValue(32)
    tab.size.setValue(32)
    tab.start_button.click()
    qtbot.waitUntil(lambda: len(tab.curves.history) >= 1, timeout=180000)
    return tab


def test_stop_keeps_what_was_trained(window, qtbot, curated_cxr3):
    tab = _a_long_run_past_its_first_epoch(window, qtbot, curated_cxr3)
    tab.stop_button.click()
    qtbot.waitUntil(lambda: tab.start_button.isEnabled(), timeout=120000)
    cards = list((window.training.out.text() and __import__("pathlib").Path(tab.out.text())).glob("*/card.json"))
    assert len(cards) == 1
    card = json.loads(cards[0].read_text())
    assert card["training"]["stopped_by_user"] and card["training"]["epochs_run"] < 100


def test_closing_the_window_during_a_run_ends_its_worker_and_waits_for_its_relay(window, qtbot, curated_cxr3,
                                                                                 monkeypatch):
    """A window closed while a run trains: the worker is stopped (here killed, as when its epoch outlasts the
    wait) and the thread relaying its events has ended before the window goes - a relay left running once
    aborted the next window's event loop."""
    from cxrdesk.gui import training_tab

    monkeypatch.setattr(training_tab, "STOP_WAIT_MS", 0)
    tab = _a_long_run_past_its_first_epoch(window, qtbot, curated_cxr3)
    run, relay = tab.run, tab.relay
    window.close()
    assert not relay.isRunning() and run.done
    assert not run._process.is_alive()


def test_the_training_tab_lists_the_registries_and_only_applicable_weights(window):
    from cxrdesk.devices import DEVICES
    from cxrdesk.models import MODELS
    from cxrdesk.recipes import RECIPES
    from cxrdesk.training import TrainConfig

    tab = window.training
    assert [tab.model.itemData(i) for i in range(tab.model.count())] == list(MODELS)
    assert [tab.recipe.itemData(i) for i in range(tab.recipe.count())] == list(RECIPES)
    assert [tab.device.itemData(i) for i in range(tab.device.count())] == list(DEVICES)
    defaults = TrainConfig.defaults()
    assert (tab.model.currentData(), tab.epochs.value(), tab.batch.value()) == (
        defaults["model"], defaults["epochs"], defaults["batch_size"])
    # new runs default to what measured best on hospitals never seen: the lungs recipe and its lung field
    assert (tab.recipe.currentData(), tab.lung_field.currentData()) == ("lungs", "mask") == (
        defaults["recipe"], RECIPES[defaults["recipe"]].lung_field)
    tab.model.setCurrentIndex(tab.model.findData("custom"))
    assert [tab.weights.itemData(i) for i in range(tab.weights.count())] == ["none"]
    tab.model.setCurrentIndex(tab.model.findData("vgg16"))
    assert [tab.weights.itemData(i) for i in range(tab.weights.count())] == ["imagenet", "none", "file"]


def test_a_recipe_the_network_cannot_take_is_refused_in_words_before_a_run_starts(window, curated_cxr3):
    tab = window.training
    tab.dataset.setText(str(curated_cxr3))
    tab.model.setCurrentIndex(tab.model.findData("vgg16"))
    tab.recipe.setCurrentIndex(tab.recipe.findData("mixstyle"))
    tab.start()
    assert "custom or compact network, not vgg16" in tab.message.text()
    assert tab.start_button.isEnabled() and not tab.stop_button.isEnabled()


def test_train_with_the_lung_field_and_diagnose_with_it(window, qtbot, curated_cxr3):
    training = window.training
    training.dataset.setText(str(curated_cxr3))
    training.recipe.setCurrentIndex(training.recipe.findData("study"))
    training.lung_field.setCurrentIndex(training.lung_field.findData("crop+normalise"))
    training.epochs.setValue(1)
    training.batch.setValue(32)
    training.size.setValue(32)
    training.start_button.click()
    qtbot.waitUntil(lambda: training.metrics.rowCount() > 0, timeout=240000)
    cards = list(__import__("pathlib").Path(training.out.text()).glob("*/card.json"))
    card = json.loads(cards[0].read_text())
    assert card["input"]["lung_field"] == "crop+normalise" and card["lung_model"]["model_sha256"]
    diagnosis = window.diagnosis
    qtbot.waitUntil(lambda: diagnosis.diagnoser is not None
                    and diagnosis.diagnoser.bundle.card.lung_field == "crop+normalise", timeout=120000)
    for path in real_images("tuberculosis", 6):  # a one-epoch model's heatmap may be empty for an image
        diagnosis.result = None
        diagnosis.diagnose(str(path))
        # the probabilities come first, the heatmap when TensorFlow is ready
        qtbot.waitUntil(lambda: diagnosis.result is not None and diagnosis.result.heatmap is not None
                        and "being computed" not in diagnosis.heat.text(), timeout=120000)
        if not diagnosis.result.heat_empty:
            break
    assert not diagnosis.result.heat_empty  # at least one of six images has heat
    assert "inside the lungs" in diagnosis.heat.text()
    assert diagnosis.outline is not None and diagnosis.outline.shape == diagnosis.result.image.shape

def test_estimate_for_a_new_hospital_in_the_training_tab(window, qtbot, five_sources):
    """The Training tab's leave-one-hospital-out run: the fold under way and the overall progress, each
    held-out source's figures, then the model on every source, whose card's estimate leads everywhere."""
    from pathlib import Path

    from cxrdesk.bundle import read_card

    tab = window.training
    tab.dataset.setText(str(five_sources))
    tab.recipe.setCurrentIndex(tab.recipe.findData("study"))
    tab.epochs.setValue(2)
    tab.batch.setValue(16)
    tab.size.setValue(32)
    tab.estimate_box.setChecked(True)
    labels, overall = [], []
    tab.on_event = (lambda original: lambda event: (original(event), labels.append(tab.epoch_label.text()),
                                                    overall.append(tab.overall.value())))(tab.on_event)
    tab.start_button.click()
    assert not tab.overall.isHidden() and not tab.start_button.isEnabled()
    qtbot.waitUntil(lambda: tab.estimate is not None, timeout=600000)
    assert tab.results_box.title().startswith("Expected at a hospital it never saw")
    sources = ["hannover", "ieee8023", "nih", "shenzhen128", "tbx11k"]
    assert [tab.metrics.item(r, 0).text() for r in range(tab.metrics.rowCount())] == sources + ["All held out (pooled)"]
    assert any(text.startswith("Fold 2 of 5: holding out ieee8023 - epoch") for text in labels), "\n".join(labels)
    assert overall == sorted(overall) and overall[-1] >= 800  # five of six trainings done
    qtbot.waitUntil(lambda: "on a random test split of its own hospitals" in tab.message.text(), timeout=600000)
    expected = tab.estimate["expected_at_new_hospital"]
    assert f"Expected at a hospital it never saw: {expected['accuracy']:.1%}" in tab.message.text()
    bundles = [p for p in Path(tab.out.text()).iterdir() if (p / "card.json").is_file()]
    assert len(bundles) == 1 and read_card(bundles[0]).expected_at_new_hospital["accuracy"] == expected["accuracy"]
    assert tab.compare.rowCount() == 1 and tab.compare.item(0, 5).text() == f"{expected['accuracy']:.1%}"
    window.tabs.setCurrentWidget(window.diagnosis)
    qtbot.waitUntil(lambda: window.diagnosis.diagnoser is not None, timeout=120000)
    assert f"Expected at a hospital it never saw: {expected['accuracy']:.1%}" in window.diagnosis.card.text()
    # a result below the card's "uncertain" threshold names no class: grey bars and the reason
    import dataclasses

    diagnosis = window.diagnosis
    diagnosis.diagnose(str(real_images("tuberculosis", 1)[0]))
    qtbot.waitUntil(lambda: diagnosis.result is not None, timeout=120000)
    result = diagnosis.result
    assert result.uncertain_rule == read_card(bundles[0]).uncertain
    unsure = dataclasses.replace(result, uncertain_rule={**result.uncertain_rule, "threshold": 1.0, "reached": True})
    diagnosis.show_result((unsure, diagnosis.outline))
    assert diagnosis.predicted.text() == "Uncertain - refer" and not diagnosis.uncertain_reason.isHidden()
    assert "below the 100%" in diagnosis.uncertain_reason.text()
    assert all("9e9e9e" in bar.styleSheet() for bar in diagnosis.bars.values())
    sure = dataclasses.replace(result, uncertain_rule={**result.uncertain_rule, "threshold": 0.0})
    diagnosis.show_result((sure, diagnosis.outline))
    assert diagnosis.predicted.text().startswith("Predicted:") and diagnosis.uncertain_reason.isHidden()
    assert all(bar.styleSheet() == "" for bar in diagnosis.bars.values())
