"""Every supported kind of file becomes the same 8-bit grayscale array; broken files say why."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from PIL import Image

from cxrdesk.errors import ImageReadError
from cxrdesk.imaging import MIN_SIDE, read_grayscale, scale_to_8bit

from .conftest import real_images
from .imagefiles import png_bomb, write_dicom


@pytest.fixture(scope="module")
def radiograph() -> np.ndarray:
    """One real radiograph, 8-bit grayscale."""
    return np.asarray(Image.open(real_images("tuberculosis", 1)[0]).convert("L"))


def test_8bit_png_is_read_exactly(radiograph, tmp_path):
    Image.fromarray(radiograph).save(tmp_path / "a.png")
    out = read_grayscale(tmp_path / "a.png")
    assert out.pixels.dtype == np.uint8 and np.array_equal(out.pixels, radiograph)
    assert (out.width, out.height) == (radiograph.shape[1], radiograph.shape[0])


def test_16bit_png_is_scaled_not_clipped(radiograph, tmp_path):
    Image.fromarray(radiograph.astype(np.uint16) * 257).save(tmp_path / "a16.png")
    out = read_grayscale(tmp_path / "a16.png")
    assert out.source_mode.startswith("I")
    assert np.array_equal(out.pixels, radiograph)  # convert("L") would give almost all 255


def test_12bit_tiff_uses_the_12bit_range(radiograph, tmp_path):
    Image.fromarray(radiograph.astype(np.uint16) * 16).save(tmp_path / "a12.tif")
    out = read_grayscale(tmp_path / "a12.tif")
    assert np.abs(out.pixels.astype(int) - radiograph).max() <= 1


def test_float_tiff_in_unit_range(radiograph, tmp_path):
    Image.fromarray(radiograph.astype(np.float32) / 255.0).save(tmp_path / "f.tif")
    assert np.abs(read_grayscale(tmp_path / "f.tif").pixels.astype(int) - radiograph).max() <= 1


def test_rgba_is_composited_on_black(radiograph, tmp_path):
    rgba = np.dstack([radiograph] * 3 + [np.full_like(radiograph, 255)])
    rgba[:10, :10, 3] = 0  # a transparent corner
    Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
    out = read_grayscale(tmp_path / "rgba.png").pixels
    assert np.array_equal(out[10:, 10:], radiograph[10:, 10:])
    assert out[:10, :10].max() == 0


def test_palette_and_cmyk(radiograph, tmp_path):
    Image.fromarray(radiograph).convert("P").save(tmp_path / "p.png")
    Image.fromarray(radiograph).convert("CMYK").save(tmp_path / "cmyk.tif")
    Image.fromarray(radiograph).convert("RGB").save(tmp_path / "rgb.jpg", quality=95)
    assert np.array_equal(read_grayscale(tmp_path / "p.png").pixels, radiograph)
    assert np.abs(read_grayscale(tmp_path / "cmyk.tif").pixels.astype(int) - radiograph).max() <= 1
    jpg = read_grayscale(tmp_path / "rgb.jpg")
    assert np.abs(jpg.pixels.astype(float) - radiograph).mean() < 2.0  # lossy, but the same image


@pytest.mark.parametrize("photometric", ["MONOCHROME2", "MONOCHROME1"])
def test_dicom_monochrome1_is_inverted(radiograph, tmp_path, photometric):
    stored = radiograph.astype(np.uint16) * 16
    if photometric == "MONOCHROME1":  # bright stored value = dark pixel
        stored = 4095 - stored
    out = read_grayscale(write_dicom(tmp_path / "x.dcm", stored, photometric))
    expected = scale_to_8bit(np.rint((radiograph - radiograph.min()) * (4095 / np.ptp(radiograph))).astype(np.uint16))
    assert out.source_mode == f"DICOM {photometric}"
    assert np.abs(out.pixels.astype(int) - expected).max() <= 1


def test_dicom_window_is_applied(radiograph, tmp_path):
    stored = radiograph.astype(np.uint16) * 16
    narrow = read_grayscale(write_dicom(tmp_path / "w.dcm", stored, window=(2048, 1024))).pixels
    # a window of 1024 around 2048 maps stored 1536 (orig 96) to black and 2560 (orig 160) to white
    assert narrow[radiograph <= 95].max() == 0 and narrow[radiograph >= 161].min() == 255


def test_dicom_without_extension_is_recognised(radiograph, tmp_path):
    path = write_dicom(tmp_path / "IMG0001", radiograph.astype(np.uint16) * 16)
    assert read_grayscale(path).source_mode == "DICOM MONOCHROME2"


def test_broken_files_are_refused_with_a_reason(radiograph, tmp_path):
    good = tmp_path / "good.png"
    Image.fromarray(radiograph).save(good)
    data = good.read_bytes()
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "truncated.png").write_bytes(data[: len(data) // 2])
    (tmp_path / "notes.png").write_text("this is a text file, not an image\n")
    (tmp_path / "bad.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"garbage" * 10)
    Image.new("L", (1, 1)).save(tmp_path / "dot.png")
    png_bomb(tmp_path / "bomb.png")
    expected = {"empty.png": "empty file", "truncated.png": "truncated or corrupt",
                "notes.png": "not a recognised image", "bad.dcm": "DICOM",
                "dot.png": "too small", "bomb.png": "decompression bomb",
                "missing.png": "not found"}
    codes = {"empty.png": "empty", "truncated.png": "corrupt", "notes.png": "not_image", "bad.dcm": "dicom_no_image",
             "dot.png": "too_small", "bomb.png": "too_large", "missing.png": "not_found"}
    for name, words in expected.items():
        with pytest.raises(ImageReadError, match=words) as info:
            read_grayscale(tmp_path / name)
        assert name in str(info.value)
        # the reason without the path, its code and figures (a window words it in its language), kept across
        # processes (a scan's workers pickle it)
        refusal = pickle.loads(pickle.dumps(info.value))
        assert str(refusal) == str(info.value) == f"{tmp_path / name}: {info.value.reason}"
        assert refusal.reason.code == codes[name] and refusal.reason.values == info.value.reason.values
    with pytest.raises(ImageReadError) as info:
        read_grayscale(tmp_path / "dot.png")
    assert info.value.reason.values == {"width": 1, "height": 1, "least": MIN_SIDE}


def test_dicom_errors_do_not_leak_patient_data(tmp_path):
    path = write_dicom(tmp_path / "tiny.dcm", np.zeros((4, 4), np.uint16), patient="Secret^Person")
    with pytest.raises(ImageReadError) as info:
        read_grayscale(path)
    assert "Secret" not in str(info.value) and "PID-0001" not in str(info.value)


def test_a_decompression_bomb_refusal_gives_the_size_the_limit_and_the_way_to_allow_it(tmp_path, monkeypatch):
    from cxrdesk.errors import ImageReadError
    from cxrdesk.imaging import read_grayscale

    from .imagefiles import png_bomb

    bomb = png_bomb(tmp_path / "bomb.png", 10_000, 9_000)  # a header claiming 90 megapixels
    with pytest.raises(ImageReadError) as info:
        read_grayscale(bomb)
    message = str(info.value)
    assert "90.0 megapixels" in message and "limit of 80 megapixels" in message and "--max-pixels 90000000" in message
    monkeypatch.setenv("CXRDESK_MAX_PIXELS", "90000000")  # what --max-pixels 90000000 sets for every process
    with pytest.raises(ImageReadError) as allowed:
        read_grayscale(bomb)  # now it is decoded, and found to be a 1-pixel file with a false header
    assert "megapixels" not in str(allowed.value)


def fuzz_bases(radiograph) -> dict[str, bytes]:
    """A real radiograph as PNG, JPEG and TIFF, and the three real DICOM files of ../shared/data/dicom."""
    import io

    from .conftest import DATA

    bases = {}
    small = Image.fromarray(radiograph)
    small.thumbnail((256, 256))
    for suffix, kind in ((".png", "PNG"), (".jpg", "JPEG"), (".tif", "TIFF")):
        buffer = io.BytesIO()
        small.save(buffer, format=kind)
        bases[f"film{suffix}"] = buffer.getvalue()
    for path in sorted((DATA.parent / "dicom").glob("*.dcm")):
        bases[path.name] = path.read_bytes()
    return bases


@pytest.mark.slow
def test_fuzzed_files_are_read_or_refused_with_our_own_error(radiograph):
    """Hundreds of seeded mutants (bits flipped, header bytes replaced, cut short, blocks repeated or
    zeroed) of a PNG, a JPEG, a TIFF and three real DICOM files: each is read as a 2-D 8-bit image or
    refused with an ImageReadError naming the file - never another exception (one damaged DICOM once
    made pydicom raise BytesLengthException and ended a batch)."""
    import random
    import warnings

    from .imagefiles import MUTATIONS, mutant

    rng = random.Random(20261201)
    bases = fuzz_bases(radiograph)
    assert len(bases) == 6, "the three DICOM files of ../shared/data/dicom are missing"
    outcomes = {"read": 0, "refused": 0}
    kinds = set()
    for name, data in bases.items():
        for i in range(70):
            kind, damaged = mutant(data, rng)
            kinds.add(kind)
            path = f"mutant-{i}-{name}"
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # no decoder warning reaches the user either
                try:
                    image = read_grayscale(path, damaged)
                except ImageReadError as exc:
                    assert path in str(exc) and "\n" not in str(exc), str(exc)
                    outcomes["refused"] += 1
                    continue
            assert image.pixels.ndim == 2 and image.pixels.dtype == np.uint8, (path, kind)
            outcomes["read"] += 1
    assert kinds == set(MUTATIONS)
    assert outcomes["read"] > 50 and outcomes["refused"] > 50, outcomes


def test_a_text_file_named_dcm_is_not_a_dicom_file(tmp_path):
    (tmp_path / "notes.dcm").write_text("not a DICOM file at all\n")
    with pytest.raises(ImageReadError, match="not a DICOM file"):
        read_grayscale(tmp_path / "notes.dcm")


def test_a_huge_film_is_read_reduced_to_at_most_read_side(tmp_path):
    """A film larger than READ_SIDE a side (a scan at full detector resolution) is averaged down by a whole
    factor as it is read - a JPEG by its decoder, which never holds it whole - and keeps its picture."""
    from cxrdesk.imaging import READ_SIDE

    height, width = 5000, 6000
    rows = np.linspace(0, 255, height)[:, None]
    cols = np.linspace(0, 60, width)[None, :]
    film = np.clip(rows * 0.7 + cols, 0, 255).astype(np.uint8)
    for name in ("huge.png", "huge.jpg"):
        Image.fromarray(film).save(tmp_path / name, quality=95)
        read = read_grayscale(tmp_path / name).pixels
        assert max(read.shape) <= READ_SIDE and read.shape == (2500, 3000), (name, read.shape)  # by 2 exactly
        assert abs(float(read.mean()) - float(film.mean())) < 1.0
        assert abs(float(read[-1].mean()) - float(film[-1].mean())) < 3.0  # bottom stays at the bottom
