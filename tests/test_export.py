"""ONNX export and inference without TensorFlow: the two runtimes agree on real films, a bundle carries its
ONNX with the hash on its card, a changed file is refused, and a bundle from before still diagnoses."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
pytest.importorskip("onnxruntime")

from cxrdesk.bundle import DEMO_BUNDLE, BundleError, amend_card, load_bundle  # noqa: E402
from cxrdesk.card import LUNGS_ONNX_FILE, ONNX_FILE  # noqa: E402
from cxrdesk.diagnosis import Diagnoser  # noqa: E402
from cxrdesk.export import crop_to_boxes, resize_weights  # noqa: E402
from cxrdesk.graph import forward  # noqa: E402
from cxrdesk.imaging import read_grayscale  # noqa: E402
from cxrdesk.integrity import file_sha256  # noqa: E402
from cxrdesk.lungs import LUNG_BUNDLE, load_lung_model  # noqa: E402
from cxrdesk.onnx_inference import OnnxModel  # noqa: E402

from .conftest import need_data  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
#: The issue's bar for the two runtimes: every probability within this (lung maps within LUNG_TOLERANCE).
TOLERANCE = 1e-4
LUNG_TOLERANCE = 1e-3


def films(n: int = 50) -> list[Path]:
    """``n`` real films spread over every class and source of cxr3 (every k-th in name order)."""
    every = sorted(need_data().rglob("*.png"))
    return every[:: max(1, len(every) // n)][:n]


def batch(path: Path) -> np.ndarray:
    return read_grayscale(path).pixels[np.newaxis, :, :, np.newaxis].astype(np.float32)


@pytest.mark.parametrize("size", [(37, 53, 16), (300, 200, 64), (20, 20, 64), (512, 512, 128)])
def test_the_resize_written_as_matrices_is_tensorflows_antialiased_resize(size):
    height, width, out = size
    images = np.random.default_rng(0).uniform(0, 255, (2, height, width, 1)).astype(np.float32)
    want = tf.image.resize(images, (out, out), method="bilinear", antialias=True).numpy()
    got = tf.einsum("pw,bowc->bopc", resize_weights(width, out),
                    tf.einsum("oh,bhwc->bowc", resize_weights(height, out), images)).numpy()
    assert np.abs(got - want).max() < 1e-3  # of 255


def test_the_crop_written_as_matrices_is_tensorflows_crop_and_resize():
    images = np.random.default_rng(1).uniform(0, 255, (3, 90, 70, 1)).astype(np.float32)
    boxes = np.array([[0.1, 0.2, 0.9, 0.8], [0.0, 0.0, 1.0, 1.0], [0.3, 0.05, 0.6, 0.95]], np.float32)
    want = tf.image.crop_and_resize(images, boxes, np.arange(3), (48, 48), method="bilinear").numpy()
    assert np.abs(crop_to_boxes(images, boxes, 48).numpy() - want).max() < 1e-3


def test_the_shipped_models_carry_onnx_that_agrees_with_tensorflow_on_50_real_films():
    """Both shipped bundles: the demo (a lung-field model: the lung network and the crop inside) and the
    lung model, through ONNX Runtime and through Keras, on 50 films of every source and size."""
    demo = load_bundle(DEMO_BUNDLE)
    hashes = demo.card["onnx"]["files"]
    assert set(hashes) == {ONNX_FILE, LUNGS_ONNX_FILE}
    assert all(file_sha256(DEMO_BUNDLE / name) == digest for name, digest in hashes.items())
    session = OnnxModel(DEMO_BUNDLE / ONNX_FILE, hashes[ONNX_FILE], BundleError)
    keras_lungs = load_lung_model()
    onnx_lungs = load_lung_model(onnx=True)
    assert keras_lungs.runtime == "TensorFlow" and onnx_lungs.runtime == "ONNX Runtime"
    traced = tf.function(lambda x: forward(demo.model, x), autograph=False,
                         input_signature=[tf.TensorSpec([None, None, None, 1], tf.float32)])
    worst = {"probabilities": 0.0, "lung map": 0.0, "lung model": 0.0}
    for path in films():
        x = batch(path)
        want_p, want_lungs = (t.numpy() for t in traced(x))
        got_p, got_lungs = session.run(x)
        worst["probabilities"] = max(worst["probabilities"], float(np.abs(got_p - want_p).max()))
        worst["lung map"] = max(worst["lung map"], float(np.abs(got_lungs - want_lungs).max()))
        pixels = x[0, :, :, 0].astype(np.uint8)
        worst["lung model"] = max(worst["lung model"], float(np.abs(onnx_lungs.probability(pixels)
                                                                     - keras_lungs.probability(pixels)).max()))
    assert worst["probabilities"] < TOLERANCE, worst
    assert worst["lung map"] < LUNG_TOLERANCE and worst["lung model"] < LUNG_TOLERANCE, worst


def test_a_trained_bundle_carries_onnx_and_diagnoses_alike_on_either_runtime(trained):
    card = json.loads((trained / "card.json").read_text())
    assert card["input"]["lung_field"] == "mask"  # the default recipe: its lung network is exported alone too
    assert set(card["onnx"]["files"]) == {ONNX_FILE, LUNGS_ONNX_FILE}
    assert card["onnx"]["files"][ONNX_FILE] == file_sha256(trained / ONNX_FILE)
    on_onnx, on_tf = Diagnoser.open(trained), Diagnoser(load_bundle(trained))
    assert (on_onnx.runtime, on_tf.runtime) == ("ONNX Runtime", "TensorFlow")
    for path in films(8):
        a, b = on_onnx.diagnose(path), on_tf.diagnose(path)
        assert max(abs(a.probabilities[c] - b.probabilities[c]) for c in a.probabilities) < TOLERANCE
        assert a.warnings == b.warnings and a.predicted == b.predicted
    with_heat = on_onnx.diagnose(films(1)[0], heatmap=True)  # Grad-CAM loads the Keras model when asked
    assert with_heat.heatmap is not None and on_onnx.bundle.model is not None


def test_diagnose_runs_without_importing_tensorflow(trained):
    film = films(1)[0]
    code = ("import sys, json; from cxrdesk.diagnosis import Diagnoser; "
            f"r = Diagnoser.open({str(trained)!r}).diagnose({str(film)!r}); "
            "print(json.dumps([r.model['runtime'], 'tensorflow' in sys.modules, 'keras' in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == ["ONNX Runtime", False, False]


def test_a_changed_onnx_file_is_refused(trained, tmp_path):
    copy = tmp_path / "changed"
    shutil.copytree(trained, copy)
    data = bytearray((copy / ONNX_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / ONNX_FILE).write_bytes(bytes(data))
    with pytest.raises(BundleError, match="does not match its card"):
        Diagnoser.open(copy)


def test_a_bundle_from_before_onnx_diagnoses_through_tensorflow_and_says_so_once(trained, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(trained, old)
    amend_card(old, lambda card: card.pop("onnx"))
    out = subprocess.run([sys.executable, "-m", "cxrdesk", "export", str(old)], capture_output=True, text=True,
                         cwd=ROOT, timeout=300)  # an ONNX file the card does not vouch for is not replaced
    assert out.returncode == 1 and "does not vouch for" in out.stderr, out.stderr
    (old / ONNX_FILE).unlink()
    (old / LUNGS_ONNX_FILE).unlink()
    two = [str(p) for p in films(2)]
    out = subprocess.run([sys.executable, "-m", "cxrdesk", "diagnose", *two, "--model", str(old), "--json"],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stderr.count(f"has no {ONNX_FILE}") == 1
    result = json.loads(out.stdout)
    assert result["model"]["runtime"] == "TensorFlow" and len(result["results"]) == 2
    # and 'cxrdesk export' gives it one, after which it runs on ONNX Runtime
    out = subprocess.run([sys.executable, "-m", "cxrdesk", "export", str(old)], capture_output=True, text=True,
                         cwd=ROOT, timeout=600)
    assert out.returncode == 0 and "Added model.onnx" in out.stdout, out.stderr
    assert Diagnoser.open(old).runtime == "ONNX Runtime"


def test_export_to_a_file_never_replaces_one_and_refuses_the_demo_in_place(tmp_path):
    taken = tmp_path / "taken.onnx"
    taken.write_text("mine")
    for argv, said in ((["export", str(LUNG_BUNDLE), "--out", str(taken)], "exists"),
                       (["export", str(DEMO_BUNDLE)], "shipped demo model"),
                       (["export", str(tmp_path)], "not a CXRDesk model bundle")):
        out = subprocess.run([sys.executable, "-m", "cxrdesk", *argv], capture_output=True, text=True, cwd=ROOT,
                             timeout=300)
        assert out.returncode == 1 and said in out.stderr, out.stderr
    assert taken.read_text() == "mine"
    fresh = tmp_path / "lungs.onnx"
    out = subprocess.run([sys.executable, "-m", "cxrdesk", "export", str(LUNG_BUNDLE), "--out", str(fresh)],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr
    lungs = OnnxModel(fresh, file_sha256(fresh), BundleError)
    pixels = read_grayscale(films(1)[0]).pixels
    assert lungs.run(pixels[np.newaxis, :, :, np.newaxis])[0].shape == (1, 128, 128, 1)
