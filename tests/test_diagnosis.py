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
tf = pytest.importorskip("tensorflow")

from cxrdesk.bundle import load_bundle  # noqa: E402
from cxrdesk.bundle import default_bundle_folder  # noqa: E402
from cxrdesk.diagnosis import Diagnoser, feature_layer, grad_cam, ood_warnings  # noqa: E402
from cxrdesk.imaging import read_grayscale  # noqa: E402

from .conftest import real_images  # noqa: E402
from .figures import assert_apart_on_the_page  # noqa: E402
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


def test_grad_cam_reaches_into_a_frozen_nested_base():
    """A pretrained base nests a whole model whose ``.output`` is its own inner graph's (Keras' "graph
    disconnected" with Grad-CAM on transfer learning): the heatmap through the base's output in the classifier's
    graph equals one computed by hand, the base and the head called one after the other."""
    from keras import layers

    keras.utils.set_random_seed(0)
    base_in = keras.Input((32, 32, 1))
    base = keras.Model(base_in, layers.Conv2D(8, 3, padding="same", activation="relu")(base_in), name="base")
    base.trainable = False
    resize, rescale = layers.Resizing(32, 32, name="resize"), layers.Rescaling(1 / 255, name="rescale")
    flatten, dense = layers.Flatten(name="flatten"), layers.Dense(3, activation="softmax", name="probabilities")
    inputs = keras.Input((None, None, 1))
    model = keras.Model(inputs, dense(flatten(base(rescale(resize(inputs))))))
    assert feature_layer(model) == "base"

    image = np.random.default_rng(0).integers(0, 255, (48, 40)).astype(np.uint8)
    x = tf.constant(image[None, :, :, None], tf.float32)
    features, heated = base(rescale(resize(x))), 0
    for k in range(3):
        with tf.GradientTape() as tape:
            tape.watch(features)
            score = dense(flatten(features))[0, k]
        weights = tf.reduce_mean(tape.gradient(score, features), axis=(1, 2), keepdims=True)
        by_hand = tf.nn.relu(tf.reduce_sum(weights * features, axis=-1))[0].numpy()
        by_hand = by_hand / by_hand.max() if by_hand.max() > 0 else by_hand  # ReLU: a class may raise nothing
        by_hand = np.asarray(Image.fromarray(by_hand, mode="F").resize((40, 48), Image.BILINEAR))
        cam = grad_cam(model, image, k)
        assert np.abs(cam - np.clip(by_hand, 0, 1)).max() < 1e-5
        heated += cam.max() > 0
    assert heated >= 1  # the comparison saw a heatmap, not only empty ones


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


def test_an_input_the_guard_rejects_gets_no_diagnosis_unless_forced(diagnoser, tmp_path):
    noise = tmp_path / "noise.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (256, 256)).astype(np.uint8)).save(noise)
    result = diagnoser.diagnose(noise)
    assert result.refused and result.predicted is None and result.most_likely in result.probabilities
    assert result.answer_sentence().startswith("no diagnosis") and "noise-like" in result.answer_sentence()
    assert result.screening_sentences() == []
    record = result.to_dict()
    assert record["predicted"] is None and record["probabilities"] is None and record["out_of_distribution"]
    assert any("noise-like" in r for r in record["reasons"]) and record["forced"] is False
    forced = diagnoser.diagnose(noise, force=True)
    assert not forced.refused and forced.forced and forced.predicted == forced.most_likely
    assert forced.answer_sentence().startswith("not a diagnosis") and forced.most_likely in forced.answer_sentence()
    assert forced.to_dict()["probabilities"] == forced.probabilities and forced.to_dict()["out_of_distribution"]
    upright = diagnoser.diagnose(real_images("normal", 1)[0])
    assert not upright.warnings and not upright.forced and upright.predicted is not None


def test_screening_says_one_short_line_per_class_above_its_threshold(diagnoser):
    from dataclasses import replace

    result = diagnoser.diagnose(real_images("tuberculosis", 1)[0])
    p = result.probabilities
    screening = {name: {"threshold": p[name] - 0.01 if name == "Tuberculosis" else min(p[name] + 0.01, 1.0),
                        "above": name == "Tuberculosis"} for name in p}
    lines = replace(result, screening=screening).screening_sentences()
    assert lines == [f"Tuberculosis {p['Tuberculosis']:.1%} is above its screening threshold "
                     f"{p['Tuberculosis'] - 0.01:.1%}: refer for a confirmatory test"]


def test_heat_regions_split_the_heat_between_lungs_mediastinum_and_outside():
    from cxrdesk.diagnosis import heat_regions
    from cxrdesk.lungs import LungField

    mask = np.zeros((10, 10), np.uint8)
    mask[2:8, 1:4] = 255  # right lung (image left)
    mask[2:8, 6:9] = 255  # left lung
    heat = np.zeros((10, 10), np.float32)
    heat[4, 2] = 1.0  # in a lung
    heat[4, 5] = 2.0  # between the lungs
    heat[0, 0] = 1.0  # above the lungs
    field = LungField(mask=mask, share=float((mask > 0).mean()), bbox=(1, 2, 9, 8), plausible=True, reason="")
    regions = heat_regions(heat, field)
    assert regions == pytest.approx({"lungs": 0.25, "between": 0.5, "outside": 0.25})
    assert heat_regions(np.zeros_like(heat), field) is None


def heat_result(lung_field: str):
    """A diagnosis whose heat lies mostly between the lungs, by a model with ``lung_field``."""
    from cxrdesk.diagnosis import Diagnosis

    image = np.zeros((10, 10), np.uint8)
    return Diagnosis("x.png", {"Healthy": 0.2, "Tuberculosis": 0.8}, "Tuberculosis", [], {"lung_field": lung_field},
                     image, heatmap=np.ones((10, 10), np.float32), heatmap_class="Tuberculosis", heat_in_lungs=0.2,
                     heat_where={"lungs": 0.2, "between": 0.6, "outside": 0.2})


def test_heat_outside_the_lungs_is_said_as_the_model_saw_it():
    """A model that sees the whole film looked at the mediastinum and heart; one whose lung field is black
    beyond the lungs never saw them there: its heat lies on the outline of its own mask, and says so."""
    whole = heat_result("off").heat_sentence()
    assert "20% of the heatmap's heat is inside the lungs" in whole and "(mediastinum, heart) (60%)" in whole
    for field in ("mask", "mask+normalise"):
        masked = heat_result(field).heat_sentence()
        assert "at the black between the lungs (the outline of its lung mask" in masked and "(60%)" in masked
        assert "mediastinum" not in masked
    assert "mediastinum, heart" in heat_result("crop").heat_sentence()  # the box, nothing blacked out


def test_diagnose_checks_every_file_before_the_model_is_loaded(tmp_path):
    """A wrong file is said at once: no TensorFlow import, no model read (the model path is not even there)."""
    (tmp_path / "notes.dcm").write_text("not a DICOM file\n")
    code = ("import sys; from cxrdesk.cli import main; rc = main(['diagnose', sys.argv[1], '--model', sys.argv[2]]);"
            "print('tensorflow' in sys.modules, rc)")
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path / "notes.dcm"), str(tmp_path / "no-model")],
                            capture_output=True, text=True)
    assert result.stdout.split() == ["False", "1"], result.stdout + result.stderr
    assert "not a DICOM file" in result.stderr and "no-model" not in result.stderr


def test_diagnose_command_refuses_a_non_radiograph_and_forces_it_on_request(trained, tmp_path):
    noise = tmp_path / "noise.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (256, 256)).astype(np.uint8)).save(noise)
    good = real_images("normal", 1)[0]

    def run(*extra):
        return subprocess.run([sys.executable, "-m", "cxrdesk", "diagnose", str(noise), str(good), "--model",
                               str(trained), *extra], capture_output=True, text=True)

    text = run()
    assert text.returncode == 0 and "No diagnosis: this may not be a frontal chest radiograph" in text.stdout
    assert "--force gives its probabilities" in text.stdout and "NOT A DIAGNOSIS" not in text.stdout
    refused, answered = json.loads(run("--json").stdout)["results"]
    assert refused["predicted"] is None and refused["out_of_distribution"] and refused["probabilities"] is None
    assert answered["predicted"] is not None and not answered["out_of_distribution"]
    forced = run("--force")
    assert "probabilities (NOT A DIAGNOSIS)" in forced.stdout and "Not a diagnosis" in forced.stdout


def test_no_screening_threshold_for_the_healthy_class():
    """A high probability of health is no reason to refer anyone: the shipped demo card (written before) holds a
    threshold for Healthy, which is not offered as a screening threshold, so no line says to refer for it."""
    from cxrdesk.bundle import DEMO_BUNDLE, read_card

    card = read_card(DEMO_BUNDLE)
    assert "Healthy" in card.calibration["thresholds"] and "Healthy" not in card.thresholds
    assert set(card.thresholds) == {"COVID-19", "Tuberculosis"}
    result = Diagnoser.open(DEMO_BUNDLE).diagnose(real_images("normal", 1)[0])
    assert set(result.screening) == {"COVID-19", "Tuberculosis"}
    assert not any(line.startswith("Healthy") for line in result.screening_sentences())


@pytest.mark.parametrize("kind", ["radiograph", "refused", "forced"])
def test_the_report_page_draws_no_text_over_other_text(diagnoser, tmp_path, kind):
    """Every text box of the one-page report (header, titles, bar labels, the notes) is apart from every
    other: the notice and screening lines once ran over the chart."""
    from cxrdesk.report import diagnosis_figure

    path = real_images("tuberculosis", 1)[0]
    if kind != "radiograph":
        path = tmp_path / "noise.png"
        Image.fromarray(np.random.default_rng(0).integers(0, 256, (256, 256)).astype(np.uint8)).save(path)
    result = diagnoser.diagnose(path, heatmap=True, force=kind == "forced")
    result.screening = {name: {"threshold": 0.0, "above": True} for name in result.probabilities}  # every line shown
    texts = assert_apart_on_the_page(diagnosis_figure(result))
    assert len(texts) >= 6
    report = tmp_path / "r.pdf"
    from cxrdesk.report import write_diagnosis_report

    assert write_diagnosis_report(result, report).read_bytes().startswith(b"%PDF")


def test_a_folder_of_films_to_one_csv_row_each(tmp_path):
    """diagnose FOLDER --recursive --csv: every file one row in order (answered, refused or unreadable), with
    the shipped demo model; a folder with no films is said before anything else."""
    import csv
    import shutil

    from cxrdesk.bundle import DEMO_BUNDLE

    if not DEMO_BUNDLE.is_dir():
        pytest.skip("no demo model in models/")
    films = tmp_path / "films"
    (films / "more").mkdir(parents=True)
    for path in real_images("normal", 2) + real_images("covid", 1):
        shutil.copy(path, films / path.name)
    shutil.copy(real_images("tuberculosis", 1)[0], films / "more" / "tb.png")
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (256, 256)).astype(np.uint8)).save(films / "noise.png")
    (films / "broken.png").write_bytes(b"\x89PNG not really")
    (films / "notes.txt").write_text("not a film, not listed")
    out = tmp_path / "results.csv"
    result = subprocess.run([sys.executable, "-m", "cxrdesk", "diagnose", str(films), "--recursive", "--csv", str(out),
                             "--model", str(DEMO_BUNDLE)], capture_output=True, text=True)
    assert result.returncode == 1 and "Traceback" not in result.stderr  # one unreadable file: exit 1, the rest done
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    names = [Path(r["file"]).name for r in rows]
    assert sorted(names) == sorted(["broken.png", "noise.png", "tb.png"] + [p.name for p in real_images("normal", 2)
                                                                            + real_images("covid", 1)])
    by_name = dict(zip(names, rows))
    assert by_name["broken.png"]["error"] and not by_name["broken.png"]["predicted"]
    assert by_name["noise.png"]["out_of_distribution"] == "true" and by_name["noise.png"]["predicted"] == ""
    assert by_name["noise.png"]["p_Healthy"] == "" and "noise-like" in by_name["noise.png"]["reasons"]
    film = by_name["tb.png"]
    total = sum(float(film[f"p_{c}"]) for c in ("COVID-19", "Healthy", "Tuberculosis"))
    assert abs(total - 1) < 1e-4 and film["uncertain"] in ("true", "false") and not film["error"]
    assert result.stdout.strip().splitlines()[-1].startswith(f"Wrote {len(rows)} rows to {out}")
    empty = tmp_path / "empty"
    empty.mkdir()
    refused = subprocess.run([sys.executable, "-m", "cxrdesk", "diagnose", str(empty), "--csv", str(out)],
                             capture_output=True, text=True)
    assert refused.returncode == 1 and "no radiograph files in this folder" in refused.stderr
    (empty / "cut.png").write_bytes(b"\x89PNG cut")  # only unreadable files: still one row each
    alone = subprocess.run([sys.executable, "-m", "cxrdesk", "diagnose", str(empty), "--csv", str(out)],
                           capture_output=True, text=True)
    assert alone.returncode == 1 and [r["error"] != "" for r in csv.DictReader(out.open(encoding="utf-8"))] == [True]


def test_a_film_the_model_learnt_from_is_said(diagnoser, curated_cxr3):
    """As evaluate says of a test on films it learnt from: a diagnosis of one of its own training films says
    so (by the file's hash, listed on its card), and one of a film kept out of its training does not."""
    from cxrdesk.dataset import load_dataset

    dataset = load_dataset(curated_cxr3)
    seen = diagnoser.diagnose(dataset.split("train")[0].file)
    unseen = diagnoser.diagnose(dataset.split("test")[0].file)
    assert seen.learnt and seen.to_dict()["learnt_from"] is True
    assert "learnt from this very film" in seen.learnt_sentence()
    assert not unseen.learnt and unseen.learnt_sentence() == "" and unseen.to_dict()["learnt_from"] is False
