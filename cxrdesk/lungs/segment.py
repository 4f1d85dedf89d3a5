"""Finding the lungs in one radiograph: the mask at the image's own size, and whether it is a plausible
pair of lungs (two regions side by side, taller than wide, darker than the rest of the chest)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from ..reasons import Reason

#: A plausible pair of lungs: two regions side by side (their centres at least MIN_SEPARATION of the
#: width apart, one in each half), each covering at least MIN_LUNG_SHARE of the image and at least
#: MIN_TALLNESS times as tall as wide (a lying or rotated chest fails this), together between these
#: shares. Every mask of ../shared/data/lungs has its lungs within 0.08-0.50 of the image.
MIN_LUNG_SHARE = 0.02
MIN_SEPARATION = 0.15
MIN_TALLNESS = 0.8
PAIR_SHARE_RANGE = (0.06, 0.60)
#: Lungs hold air: in a radiograph they are darker than the rest of their bounding box (heart,
#: mediastinum, diaphragm). Over 264 images of ../shared/data the lungs' mean was 1 to 100 levels below
#: the rest's (median 54); in the inverted MONOCHROME1 file read as MONOCHROME2 it is 32 above.
MAX_LUNG_CONTRAST = 5.0
#: Where there is no orientation check (:mod:`cxrdesk.orientation`, a network of its own, which a diagnosis
#: uses when it is shipped: cheaper, and it refuses films on their side too), a film whose lungs the lung model
#: finds more certainly (mean |2p - 1| of its lung map) once turned back by more than this is refused as turned. The film's own map is the one its diagnosis has made already, so
#: the check costs one batch of the turned films through the lung network. On the 1,489 films of cxr3 turned
#: each way, with the plausibility checks (benchmarks/bench_orientation.py, figures in benchmarks/RESULTS.md):
#: upright films refused 1.7 % (this check alone 0.3 %), upside down 99.7 %, turned 180 degrees 99.8 %,
#: rotated 90 / 270 degrees 98.4 / 89.7 % (mostly as no pair of lungs side by side). A mirrored film (heart
#: on the right) is not told from an upright one by the lungs and passes (2.7 %): the orientation check says
#: it. Comparing with the
#: upside-down film alone (one pass fewer) let 5 % more films rotated by 90 degrees through: both are kept.
TURN_MARGIN = 0.02
#: The ways a film is turned that the lung model can tell, each with the turn that puts it back.
TURNS = {"upside down": np.flipud, "rotated 180 degrees": lambda a: np.rot90(a, 2)}


@dataclass
class LungField:
    """The lungs found in one radiograph, at the image's own size."""

    mask: np.ndarray = field(repr=False)  # uint8, 0 background, 255 lung, the image's height x width
    share: float  # of the image's pixels that are lung
    bbox: tuple[int, int, int, int] | None  # (left, top, right, bottom), right/bottom exclusive
    plausible: bool
    reason: str  # why the lungs are not plausible ('' when they are): a Reason
    regions: list[float] = field(default_factory=list)  # share of the image of each kept region

    def to_dict(self) -> dict:
        return {"lung_share": round(self.share, 4), "bbox": list(self.bbox) if self.bbox else None,
                "plausible_lungs": self.plausible, "reason": self.reason,
                "regions": [round(r, 4) for r in self.regions]}


def probability_to_field(probability: np.ndarray, width: int, height: int) -> LungField:
    """Upsample the network's probability map to ``width`` x ``height``, threshold it at 0.5, keep the
    two largest regions and judge whether they are a plausible pair of lungs."""
    from scipy import ndimage

    prob = Image.fromarray(np.asarray(probability, dtype=np.float32), mode="F").resize(
        (width, height), Image.Resampling.BILINEAR)
    binary = np.asarray(prob) >= 0.5
    labels, n = ndimage.label(binary)
    lung = np.zeros_like(binary)
    shares, centres, tallness, boxes = [], [], [], []
    if n:
        sizes = np.bincount(labels.ravel())[1:]
        found = ndimage.find_objects(labels)
        for k in np.argsort(sizes)[::-1][:2] + 1:
            # each lung whole: a consolidation the network missed inside a lung is still lung (filled within the
            # region's box grown by a pixel - the same holes as in the whole image, at a fraction of the cost);
            # the measures below read the region's box only (filling holes does not change its extent)
            rows, cols = found[k - 1]
            grown = tuple(slice(max(s.start - 1, 0), s.stop + 1) for s in (rows, cols))
            region = _filled(labels[grown] == k)
            lung[grown] |= region
            columns = region.sum(axis=0)
            shares.append(float(columns.sum()) / (width * height))
            centres.append((float(columns @ np.arange(grown[1].start, grown[1].start + len(columns)))
                            / columns.sum()) / width)
            tallness.append((rows.stop - rows.start) / (cols.stop - cols.start))
            boxes.append((cols.start, rows.start, cols.stop, rows.stop))
    share = float(lung.sum()) / (width * height)
    reason = ""
    if len(shares) < 2 or min(shares) < MIN_LUNG_SHARE:
        reason = Reason("fewer than two lung regions found", "few_regions")
    elif not (min(centres) < 0.5 < max(centres)) or max(centres) - min(centres) < MIN_SEPARATION:
        reason = Reason("the two regions are not side by side, one in each half of the image", "not_side_by_side")
    elif min(tallness) < MIN_TALLNESS:
        reason = Reason("the regions are wider than tall, unlike the lungs of an upright frontal radiograph", "wide")
    elif not PAIR_SHARE_RANGE[0] <= share <= PAIR_SHARE_RANGE[1]:
        reason = Reason(f"the lungs cover {share:.0%} of the image (expected "
                        f"{PAIR_SHARE_RANGE[0]:.0%}-{PAIR_SHARE_RANGE[1]:.0%})", "lung_share", share=share,
                        low=PAIR_SHARE_RANGE[0], high=PAIR_SHARE_RANGE[1])
    bbox = None
    if boxes:
        bbox = tuple(int(f(b[i] for b in boxes)) for i, f in enumerate((min, min, max, max)))
    return LungField((lung * 255).astype(np.uint8), share, bbox, not reason, reason, shares)


def _filled(region: np.ndarray) -> np.ndarray:
    """``region`` with its holes filled: what scipy's ``binary_fill_holes`` gives (background not connected to the
    border, 4-connected), found by one labelling of the background instead of its repeated dilation."""
    from scipy import ndimage

    background, count = ndimage.label(~region)
    if count == 0:
        return region
    outside = np.zeros(count + 1, dtype=bool)  # the background labels that reach the border, and the region's 0
    outside[np.concatenate([[0], background[0], background[-1], background[:, 0], background[:, -1]])] = True
    return region | ~outside[background]


class LungSegmenter:
    """A loaded lung model, ready for many images (traced once for any size)."""

    def __init__(self, model, card: dict | None = None, folder: Path | None = None, predict=None):
        """``model``: the Keras lung network; or None with ``predict``, a function from a batch ``(b, h, w, 1)``
        to its probability maps as NumPy (an ONNX Runtime session: see :func:`.store.load_lung_model`)."""
        self.model, self.card, self.folder = model, card or {}, folder
        if predict is None:
            import tensorflow as tf

            traced = tf.function(lambda x: model(x, training=False), autograph=False,
                                 input_signature=[tf.TensorSpec([None, None, None, 1], tf.float32)])
            predict = lambda x: traced(x).numpy()  # noqa: E731
        self._predict = predict
        self.runtime = "TensorFlow" if model is not None else "ONNX Runtime"

    def probability(self, pixels: np.ndarray) -> np.ndarray:
        """The lung probability map at the network's size for one 8-bit image."""
        return np.asarray(self._predict(pixels[np.newaxis, :, :, np.newaxis].astype(np.float32)))[0, :, :, 0]

    def certainty(self, pixels: np.ndarray) -> float:
        """How clearly the lung model sees lungs or no lungs in each pixel: mean |2p - 1| of its map."""
        return self.certainties([pixels])[0]

    def certainties(self, images: list[np.ndarray]) -> list[float]:
        """:meth:`certainty` of images of one shape, in one pass of the network (each image is standardised
        on its own, so a batch gives each the certainty it has alone)."""
        maps = np.asarray(self._predict(np.stack(images)[..., np.newaxis].astype(np.float32)))[..., 0]
        return [float(np.abs(2.0 * m - 1.0).mean()) for m in maps]

    def turned(self, pixels: np.ndarray, given: np.ndarray | None = None) -> str:
        """'' for a film the right way up; else why it seems turned (upside down, rotated 180 degrees): its
        lungs are found more certainly once it is turned back (see :data:`TURN_MARGIN`). ``given``: the lung
        map this network made of ``pixels`` already (a diagnosis has it), so that only the turned films
        need a pass."""
        turns = [np.ascontiguousarray(turn(pixels)) for turn in TURNS.values()]
        if given is None:
            as_given, *turned = self.certainties([pixels] + turns)
        else:
            as_given, turned = float(np.abs(2.0 * np.asarray(given) - 1.0).mean()), self.certainties(turns)
        back = dict(zip(TURNS, turned))
        name = max(back, key=back.get)
        if back[name] - as_given <= TURN_MARGIN:
            return ""
        return Reason(f"the film seems {name}: its lungs are found more clearly once it is turned back "
                      f"(certainty {as_given:.2f} as given, {back[name]:.2f} turned back)", "turned", turn=name,
                      given=as_given, back=back[name])

    def segment(self, pixels: np.ndarray) -> LungField:
        found = probability_to_field(self.probability(pixels), pixels.shape[1], pixels.shape[0])
        return check_darker(pixels, found)


def check_darker(pixels: np.ndarray, found: LungField) -> LungField:
    """Lungs brighter than the rest of their box are not lungs of a radiograph as read: an inverted
    (negative) image, or not a radiograph at all."""
    if not found.plausible or found.bbox is None:
        return found
    left, top, right, bottom = found.bbox
    lung = found.mask[top:bottom, left:right] > 0
    box = pixels[top:bottom, left:right].astype(np.float64)
    if lung.all() or not lung.any():
        return found
    contrast = float(box[lung].mean() - box[~lung].mean())
    if contrast > MAX_LUNG_CONTRAST:
        found.plausible = False
        found.reason = Reason(f"the 'lungs' are {contrast:.0f} levels brighter than the rest of the chest: "
                              "an inverted (negative) image?", "inverted", contrast=contrast)
    return found


def outline(mask: np.ndarray, width: int | None = None) -> np.ndarray:
    """The boolean outline of a mask, ``width`` pixels thick (default: about 1/256 of the image)."""
    from scipy import ndimage

    lung = mask > 0
    width = width or max(1, min(mask.shape) // 256)
    return lung & ~ndimage.binary_erosion(lung, iterations=width)


def overlay(pixels: np.ndarray, field_: LungField, opacity: float = 0.35) -> Image.Image:
    """The radiograph in gray, the lungs tinted green with their outline and bounding box in colour."""
    gray = np.repeat(pixels[..., None], 3, axis=2).astype(np.float64)
    lung = field_.mask > 0
    tint = np.array([40.0, 200.0, 80.0])
    gray[lung] = gray[lung] * (1 - opacity) + tint * opacity
    gray[outline(field_.mask)] = (60, 255, 90)
    if field_.bbox:
        left, top, right, bottom = field_.bbox
        colour = (255, 200, 0) if field_.plausible else (255, 60, 60)
        gray[top, left:right] = gray[bottom - 1, left:right] = colour
        gray[top:bottom, left] = gray[top:bottom, right - 1] = colour
    return Image.fromarray(np.clip(gray, 0, 255).astype(np.uint8))
