"""Style mixing (cxrdesk.style, the 'mixstyle' recipe): it swaps statistics in training, never the content,
and a model built with it diagnoses as one without it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from .test_hospitals import cxrdesk


def _statistics(x):
    return x.mean(axis=(1, 2)), x.std(axis=(1, 2))


def test_style_mixing_swaps_each_images_statistics_for_a_mix_and_keeps_its_content():
    import keras

    from cxrdesk.style import mix_style_layer

    rng = np.random.default_rng(0)
    pattern = rng.normal(size=(4, 16, 16, 3)).astype(np.float32)
    scale = np.array([1.0, 5.0, 20.0, 60.0], np.float32)[:, None, None, None]  # four 'hospitals', four styles
    shift = np.array([0.0, 50.0, 100.0, 200.0], np.float32)[:, None, None, None]
    x = pattern * scale + shift
    keras.utils.set_random_seed(3)
    layer = mix_style_layer()(p=1.0, alpha=0.1)
    assert np.array_equal(layer(x, training=False).numpy(), x)  # inference: untouched

    mean, sd = _statistics(x)
    moved = 0
    for _ in range(5):
        out = layer(x, training=True).numpy()
        out_mean, out_sd = _statistics(out)
        # each image's new statistics lie within the batch's (a mix of two images'), channel by channel
        assert (out_mean >= mean.min(0) - 1e-3).all() and (out_mean <= mean.max(0) + 1e-3).all()
        assert (out_sd >= sd.min(0) * 0.999).all() and (out_sd <= sd.max(0) * 1.001).all()
        # and what is where is unchanged: standardised, the image is the same
        np.testing.assert_allclose((out - out_mean[:, None, None]) / out_sd[:, None, None],
                                   (x - mean[:, None, None]) / sd[:, None, None], atol=1e-3)
        moved += int((np.abs(out_mean - mean) > 1.0).any())
    assert moved >= 3  # it does mix (a shuffle may pair an image with itself now and then)

    none = mix_style_layer()(p=0.0)
    assert np.array_equal(none(x, training=True).numpy(), x)


def test_a_model_with_style_mixing_predicts_as_the_same_model_without_it(tmp_path):
    import keras

    from cxrdesk.models import build_model
    from cxrdesk.style import register_layers

    mixed = build_model("custom", 32, n_classes=3, seed=1, mix_style=0.5)
    plain = build_model("custom", 32, n_classes=3, seed=2)
    assert {"mix_style1", "mix_style2"} <= {layer.name for layer in mixed.layers}
    assert not any(layer.name.startswith("mix_style") for layer in plain.layers)
    for layer in plain.layers:
        layer.set_weights(mixed.get_layer(layer.name).get_weights())
    films = np.random.default_rng(1).uniform(0, 255, (6, 48, 40, 1)).astype(np.float32)
    np.testing.assert_allclose(mixed.predict(films, verbose=0), plain.predict(films, verbose=0), atol=1e-6)

    mixed.save(tmp_path / "mixed.keras")
    register_layers()
    again = keras.saving.load_model(tmp_path / "mixed.keras", compile=False, safe_mode=True)
    np.testing.assert_allclose(again.predict(films, verbose=0), plain.predict(films, verbose=0), atol=1e-6)
    assert again.get_layer("mix_style1").p == 0.5


def test_style_mixing_is_refused_for_a_pretrained_base():
    from cxrdesk.errors import CxrdeskError
    from cxrdesk.training import TrainConfig

    with pytest.raises(CxrdeskError, match="custom or compact network, not vgg16"):
        TrainConfig("x", model="vgg16", recipe="mixstyle").validate()
    TrainConfig("x", model="compact", recipe="mixstyle").validate()


@pytest.mark.slow
def test_the_mixstyle_recipe_trains_and_its_bundle_diagnoses(curated_cxr3, tmp_path, cxr3):
    result = cxrdesk("train", curated_cxr3, "--recipe", "mixstyle", "--epochs", "1", "--image-size", "32",
                     "--batch-size", "32", "--max-steps", "3", "--out", tmp_path, "--name", "mixstyle", "--seed", "1")
    assert result.returncode == 0, result.stderr
    card = json.loads((tmp_path / "mixstyle" / "card.json").read_text())
    assert card["hyperparameters"]["recipe"] == "mixstyle" and card["input"]["lung_field"] == "mask"
    assert card["hyperparameters"]["augmentation"]["mix_style"] == 0.5
    film = sorted((cxr3 / "tuberculosis").glob("*.png"))[0]
    diagnosed = cxrdesk("diagnose", film, "--model", tmp_path / "mixstyle")
    assert diagnosed.returncode == 0, diagnosed.stderr
    assert "Tuberculosis" in diagnosed.stdout
