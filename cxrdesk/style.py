"""Style mixing against hospital style (MixStyle; Zhou, Yang, Qiao and Xiang, ICLR 2021).

The mean and spread of each channel of an early convolution over one image carry much of its *style* - a
hospital's exposure, processing and detector - and little of where things are. In training, with
probability ``p`` per batch, :class:`MixStyle` gives every image the statistics of a random mix (weight drawn
from Beta(alpha, alpha)) of its own and another image's of the same batch, which usually comes from another
hospital: a network that had learnt a hospital's style as its class meets it on the wrong class. The
statistics are taken out of the gradient, as in the paper. At inference the layer passes its input through
unchanged, so a saved model diagnoses, explains and exports exactly as one without it.

It mixes layers CXRDesk builds itself (the custom and compact networks); a pretrained Keras Applications
base is not opened up.
"""

from __future__ import annotations

from functools import lru_cache

MIX_ALPHA = 0.1  # the paper's Beta(0.1, 0.1): most mixes are close to one image or the other
EPSILON = 1e-6


@lru_cache(maxsize=1)
def mix_style_layer():
    """The Keras layer (registered once, so a saved model reloads with ``safe_mode``)."""
    import keras

    @keras.saving.register_keras_serializable(package="cxrdesk")
    class MixStyle(keras.layers.Layer):
        def __init__(self, p: float = 0.5, alpha: float = MIX_ALPHA, seed: int | None = None, **kwargs):
            super().__init__(**kwargs)
            self.p, self.alpha, self.seed = float(p), float(alpha), seed
            self.seed_generator = keras.random.SeedGenerator(seed)

        def call(self, x, training=False):
            if not training or self.p <= 0.0:
                return x
            from keras import ops, random

            x32 = ops.cast(x, "float32")
            mean = ops.stop_gradient(ops.mean(x32, axis=(1, 2), keepdims=True))
            sd = ops.stop_gradient(ops.sqrt(ops.var(x32, axis=(1, 2), keepdims=True) + EPSILON))
            batch = ops.shape(x32)[0]
            weight = random.beta((batch, 1, 1, 1), self.alpha, self.alpha, seed=self.seed_generator)
            other = random.shuffle(ops.arange(batch), seed=self.seed_generator)
            mixed_mean = weight * mean + (1.0 - weight) * ops.take(mean, other, axis=0)
            mixed_sd = weight * sd + (1.0 - weight) * ops.take(sd, other, axis=0)
            mixed = (x32 - mean) / sd * mixed_sd + mixed_mean
            chosen = random.uniform((), seed=self.seed_generator) < self.p
            return ops.cast(ops.where(chosen, mixed, x32), x.dtype)

        def compute_output_shape(self, input_shape):
            return input_shape

        def get_config(self):
            return {**super().get_config(), "p": self.p, "alpha": self.alpha, "seed": self.seed}

    return MixStyle


def mix_style(x, p: float, name: str):
    """``x`` through a MixStyle layer mixing with probability ``p``; ``x`` itself where ``p`` is 0 (the model
    is then exactly the one without it)."""
    return mix_style_layer()(p, name=name)(x) if p > 0 else x


def register_layers() -> None:
    mix_style_layer()
