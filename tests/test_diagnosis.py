"""Diagnosis of single radiographs: probabilities, Grad-CAM, the out-of-distribution guard, refusals."""

from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

keras = pytest.importorskip("keras")

from cxrdesk.bundle import load_bundle  # noqa: E402
from cxrdesk.bundle import default_bundle_folder  # noqa: E402
from cxrdesk.diagnosis import Diagnoser, grad_cam, ood_warnings  # noqa: E402
from cxrdesk.imaging import read_grayscale  # noqa: E402

from .conftest import real_images  # noqa: E402
from .imagefiles import png_bomb, write_dicom  # noqa: E402


@pytest.fixture(scope="module")
def diagnoser(trained):
    return Diagnoser(load_bundle(trained))


def test_probabilities_model_and_notice(diagnoser):
    path = real_images("tuberculosis", 1)[0]
    result = diagnoser.diagnose(path)
    assert sum(result.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
    assert result.predicted == max(result.probabilities, key=result.probabilities.get)
    assert result.model["name"] == "quick" and result.model["train_images"] > 0
    assert 0 < result.model["validation_general_precision"] <= 1
    assert "not a medical device" in result.notice


def test_dicom_gives_the_same_answer_as_the_png(diagnoser, tmp_path):
    path = real_images("covid", 1)[0]
    pixels = np.asarray(Image.open(path).convert("L"))
    stretched = ((pixels - pixels.min()) * (4095 / np.ptp(pixels))).round().astype(np.uint16)
    dicom = write_dicom(tmp_path / "x.dcm", stretched)
    as_png = diagnoser.probabilities(read_grayscale(dicom).pixels)
    from_dicom = diagnoser.diagnose(dicom).probabilities
    assert np.allclose(list(from_dicom.values()), as_png, atol=1e-6)


def test_grad_cam_has_the_image_size(diagnoser):
    result = diagnoser.diagnose(real_images("normal", 1)[0], heatmap=True)
    assert result.heatmap.shape == result.image.shape
    assert 0.0 <= result.heatmap.min() and result.heatmap.max() <= 1.0
    assert result.heatmap_class == result.predicted


@pytest.mark.slow
def test_grad_cam_highlights_what_drives_a_toy_decision():
    """A tiny network learns: a bright square on the left = class 0, on the right = class 1."""
    from keras import layers

    keras.utils.set_random_seed(0)
    inputs = keras.Input((None, None, 1))
    x = layers.Resizing(32, 32, name="resize")(inputs)
    x = layers.Rescaling(1 / 255, name="rescale")(x)
    x = layers.Conv2D(8, 3, padding="same", activation="relu", name="conv")(x)
    x = layers.MaxPooling2D(4)(x)
    x = layers.Flatten()(x)
    model = keras.Model(inputs, layers.Dense(3, activation="softmax", name="probabilities")(x))
    rng = np.random.default_rng(0)

    def sample(label):
        image = rng.integers(0, 40, (32, 32)).astype("float32")
        if label < 2:
            top, left = rng.integers(4, 20), rng.integers(2, 8) + (16 if label else 0)
            image[top:top + 8, left:left + 8] = 250
        return image

    labels = rng.integers(0, 3, 600)
    images = np.stack([sample(y) for y in labels])[..., None]
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(images, labels, epochs=15, batch_size=32, verbose=0)
    assert model.evaluate(images, labels, verbose=0)[1] > 0.9

    test = np.full((32, 32), 20, np.uint8)
    test[10:18, 4:12] = 250  # square on the left
    cam = grad_cam(model, test, 0, layer="conv")
    assert cam.shape == (32, 32)
    assert cam[:, :16].mean() > 2 * cam[:, 16:].mean()
    assert cam[10:18, 4:12].mean() > cam.mean()


def test_real_radiographs_are_not_flagged(trained):
    card = load_bundle(trained).card
    flagged = []
    for folder in ("covid", "normal", "tuberculosis"):
        for path in real_images(folder, 15, step=19):
            warnings = ood_warnings(read_grayscale(path), card)
            if warnings:
                flagged.append((path.name, warnings))
    assert not flagged


def test_non_radiographs_are_flagged(trained, tmp_path):
    card = load_bundle(trained).card
    rng = np.random.default_rng(0)
    photo = np.zeros((300, 400, 3), np.uint8)
    photo[..., 0] = np.linspace(0, 255, 400)[None, :]
    photo[..., 1] = np.linspace(255, 0, 300)[:, None]
    photo[..., 2] = rng.integers(0, 255, (300, 400))
    Image.fromarray(photo).save(tmp_path / "photo.jpg")
    Image.fromarray(rng.integers(0, 256, (256, 256)).astype(np.uint8)).save(tmp_path / "noise.png")
    Image.new("L", (300, 300), 200).save(tmp_path / "blank.png")
    Image.fromarray(np.tile(np.linspace(0, 255, 600).astype(np.uint8), (150, 1))).save(tmp_path / "strip.png")
    expected = {"photo.jpg": "colour", "noise.png": "noise", "blank.png": "uniform", "strip.png": "shape"}
    for name, words in expected.items():
        warnings = ood_warnings(read_grayscale(tmp_path / name), card)
        assert any(words in w for w in warnings), (name, warnings)


def test_diagnose_command_refuses_broken_files_but_diagnoses_the_rest(trained, tmp_path):
    good = real_images("normal", 1)[0]
    data = good.read_bytes()
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    (tmp_path / "text.png").write_text("not an image")
    Image.new("L", (1, 1)).save(tmp_path / "dot.png")
    png_bomb(tmp_path / "bomb.png")
    dicom = write_dicom(tmp_path / "patient.dcm", (np.asarray(Image.open(good)).astype(np.uint16) * 16),
                        patient="Secret^Person")
    broken = ["empty.png", "cut.png", "text.png", "dot.png", "bomb.png"]
    args = [str(good), *[str(tmp_path / b) for b in broken], str(dicom)]
    result = subprocess.run([sys.executable, "-m", "cxrdesk", "diagnose", *args, "--model", str(trained), "--json",
                             "--heatmap", str(tmp_path / "heat")], capture_output=True, text=True)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("cxrdesk: error:")]
    assert len(errors) == len(broken) and "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert [r["file"] for r in report["results"]] == [str(good), str(dicom)]
    assert report["model"]["name"] == "quick" and "not a medical device" in report["notice"]
    assert [Path(f["file"]).name for f in report["failed"]] == broken  # failures are in the JSON too
    assert all(f["error"] for f in report["failed"])
    assert all(Image.open(r["heatmap"]).format == "PNG" for r in report["results"])  # annotated, with a colour scale
    assert "Secret" not in result.stdout + result.stderr


def test_newest_bundle_is_the_default_then_the_demo_model(trained, tmp_path, monkeypatch):
    from cxrdesk import bundle
    from cxrdesk.bundle import BundleError

    assert default_bundle_folder(trained.parent) == trained
    if bundle.DEMO_BUNDLE.is_dir():
        assert default_bundle_folder(tmp_path) == bundle.DEMO_BUNDLE
    monkeypatch.setattr(bundle, "DEMO_BUNDLE", tmp_path / "no-demo")
    with pytest.raises(BundleError, match="no trained model"):
        default_bundle_folder(tmp_path)
