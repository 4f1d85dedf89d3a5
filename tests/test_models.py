"""The study's networks, exactly; preprocessing inside the model; the augmentation; weights sources."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")
import tensorflow as tf  # noqa: E402

from cxrdesk import models  # noqa: E402
from cxrdesk.errors import CxrdeskError  # noqa: E402
from cxrdesk.models import build_model, parameter_counts  # noqa: E402
from cxrdesk.pipeline import augment_batch, resize  # noqa: E402

VGG_FILE = Path(__file__).resolve().parents[2] / "shared" / "weights" / "vgg16_imagenet_notop.weights.h5"
STUDY_HEAD = (25088 * 128 + 128) + (128 * 64 + 64) + (64 * 32 + 32) + (32 * 3 + 3)


def test_custom_cnn_has_the_studys_51441763_parameters():
    model = build_model("custom", 224)
    assert parameter_counts(model) == (51_441_763, 51_441_763)
    shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers}
    assert shapes["conv1"] == (224, 224, 32) and shapes["conv2"] == (224, 224, 64)
    assert shapes["pool1"] == (112, 112, 64) and shapes["pool2"] == (56, 56, 128)
    assert shapes["flatten"] == (401_408,) and shapes["probabilities"] == (3,)


def test_vgg16_is_the_imagenet_base_plus_the_studys_head():
    model = build_model("vgg16", 224, weights=str(VGG_FILE))
    total, trainable = parameter_counts(model)
    assert total == 14_714_688 + STUDY_HEAD and trainable == STUDY_HEAD  # base frozen
    import h5py

    with h5py.File(VGG_FILE) as stored:  # the first and last convolutions hold the file's ImageNet values
        first, last = stored["layers/conv2d/vars/0"][()], stored["layers/conv2d_12/vars/0"][()]
    base = model.get_layer("vgg16_base")
    np.testing.assert_array_equal(base.get_layer("block1_conv1").get_weights()[0], first)
    np.testing.assert_array_equal(base.get_layer("block5_conv3").get_weights()[0], last)
    tuned = build_model("vgg16", 64, weights="none", fine_tune=4)
    assert parameter_counts(tuned)[1] > parameter_counts(build_model("vgg16", 64, weights="none"))[1]


def test_inceptionv3_at_its_native_299px():
    model = build_model("inceptionv3", weights="none")
    total, trainable = parameter_counts(model)
    head = (8 * 8 * 2048 * 128 + 128) + (128 * 64 + 64) + (64 * 32 + 32) + (32 * 3 + 3)
    assert total == 21_802_784 + head and trainable == head


def test_compact_model_is_small():
    assert 100_000 < parameter_counts(build_model("compact", 224))[0] < 1_000_000


def test_model_takes_any_grayscale_size_and_resizes_like_the_pipeline():
    model = build_model("custom", 48, seed=0)
    rng = np.random.default_rng(0)
    raw = rng.integers(0, 256, (1, 173, 151, 1)).astype("float32")
    probabilities = model.predict(raw, verbose=0)
    assert probabilities.shape == (1, 3) and probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    inside = model.get_layer("resize")(raw).numpy()
    assert np.allclose(inside, resize(raw, 48).numpy(), atol=1e-4)


def test_augmentation_shears_zooms_and_flips():
    image = np.zeros((1, 64, 64, 1), "float32")
    image[:, :, :32] = 255.0  # left half white
    batch = np.repeat(image, 64, axis=0)
    tf.random.set_seed(1)
    out = augment_batch(tf.constant(batch)).numpy()
    assert out.shape == batch.shape and out.min() >= 0.0 and out.max() <= 255.001
    left, right = out[:, :, :16].mean(axis=(1, 2, 3)), out[:, :, 48:].mean(axis=(1, 2, 3))
    flipped = (right > left).sum()
    assert 16 < flipped < 48  # about half are mirrored
    assert not np.allclose(out[~(right > left)], batch[~(right > left)])  # and the others zoomed


def test_imagenet_weights_offline_say_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))

    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(models, "_download", offline)
    with pytest.raises(CxrdeskError) as info:
        build_model("inceptionv3", 75, weights="imagenet")
    message = str(info.value)
    assert "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5" in message
    assert str(tmp_path / "models") in message and "--weights" in message


def test_cached_imagenet_file_is_used(tmp_path, monkeypatch):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5").symlink_to(VGG_FILE)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(models, "_download", lambda *a: pytest.fail("must not download"))
    assert models.imagenet_weights("vgg16").name.startswith("vgg16_weights")


def test_wrong_weights_files_are_refused(tmp_path):
    with pytest.raises(CxrdeskError, match="weights file not found"):
        build_model("vgg16", 64, weights=str(tmp_path / "nothing.h5"))
    other = tmp_path / "other.weights.h5"
    build_model("custom", 16).save_weights(other)
    with pytest.raises(CxrdeskError, match="does not hold VGG16 weights"):
        build_model("vgg16", 64, weights=str(other))


def test_unknown_model_and_too_small_sizes():
    with pytest.raises(CxrdeskError, match="unknown model"):
        build_model("resnet")
    with pytest.raises(CxrdeskError, match="at least 75"):
        build_model("inceptionv3", 64, weights="none")


def test_big_cpu_batches_are_split_into_micro_batches():
    from cxrdesk.training import auto_accumulation

    custom = build_model("custom", 224)
    n = auto_accumulation(custom, 64, "cpu")
    assert n in (2, 4, 8) and 64 % n == 0  # ~33 MB of activations per image would need ~2 GB
    assert auto_accumulation(custom, 64, "gpu") == 1
    assert auto_accumulation(build_model("custom", 32), 64, "cpu") == 1


@pytest.mark.slow
def test_models_command_lists_sizes_and_parameter_counts():
    import json
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "cxrdesk", "models", "--json"], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    rows = {r["model"]: r for r in json.loads(result.stdout)}
    assert rows["custom"]["parameters"] == 51_441_763 and rows["custom"]["input"] == "224x224x3"
    assert rows["vgg16"]["trainable"] == STUDY_HEAD and rows["inceptionv3"]["input"] == "299x299x3"


@pytest.mark.slow
def test_efficientnet_is_one_registry_entry_with_its_own_preprocessing():
    """EfficientNetV2-B0 normalises 0-255 pixels itself: the model passes them unscaled (no 'rescale'
    layer), and every other part of CXRDesk picks it up from the registry."""
    spec = models.spec("efficientnetv2b0")
    assert spec.pretrained and spec.pixel_scale == "raw" and "0-255" in spec.expects
    model = build_model("efficientnetv2b0", 64, weights="none", n_classes=2, seed=0)
    names = [layer.name for layer in model.layers]
    assert "rescale" not in names and names[:3] == ["grayscale", "resize", "gray_to_rgb"]
    total, trainable = parameter_counts(model)
    head = (1280 * 128 + 128) + (128 * 2 + 2)
    assert trainable == head and 5_900_000 < total < 6_100_000  # the base (5.9 M) frozen
    raw = np.random.default_rng(0).integers(0, 256, (2, 80, 70, 1)).astype("float32")
    assert model.predict(raw, verbose=0).shape == (2, 2)
    base = model.get_layer("efficientnetv2b0_base")
    assert any(isinstance(layer, keras.layers.Normalization) for layer in base.layers)  # ImageNet mean/sd


@pytest.mark.slow
def test_every_model_of_the_registry_builds_for_any_class_count():
    for name, spec in models.MODELS.items():
        model = build_model(name, spec.min_size, weights="none", n_classes=4)
        assert model.output_shape == (None, 4) and model.name == name
    with pytest.raises(CxrdeskError, match="at least 2 classes"):
        build_model("custom", 16, n_classes=1)


def test_the_command_line_offers_what_the_registries_hold():
    from cxrdesk.cli import build_parser
    from cxrdesk.devices import DEVICES
    from cxrdesk.recipes import RECIPES
    from cxrdesk.training import TrainConfig

    parser = build_parser()
    train = parser._subparsers._group_actions[0].choices["train"]
    options = {a.dest: a for a in train._actions}
    assert list(options["model"].choices) == list(models.MODELS)
    assert list(options["device"].choices) == list(DEVICES)
    assert list(options["recipe"].choices) == list(RECIPES)
    args = parser.parse_args(["train", "data"])
    defaults = TrainConfig.defaults()
    assert (args.model, args.batch_size, args.lr, args.seed, args.out) == (
        defaults["model"], defaults["batch_size"], defaults["learning_rate"], defaults["seed"], defaults["out"])
    assert args.recipe == defaults["recipe"] == "lungs" and defaults["epochs"] == 120  # study's epochs, lungs recipe
