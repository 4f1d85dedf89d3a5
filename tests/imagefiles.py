"""Makers of awkward and broken image files, built by the tests from real radiographs."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid


def png_bomb(path: Path, width: int = 100_000, height: int = 100_000) -> Path:
    """A tiny valid PNG whose header claims ``width`` x ``height`` pixels."""
    from PIL import Image
    import io

    buffer = io.BytesIO()
    Image.new("L", (1, 1)).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    ihdr = bytearray(data[16:29])
    ihdr[0:8] = struct.pack(">II", width, height)
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + bytes(ihdr)) & 0xFFFFFFFF)
    path.write_bytes(bytes(data))
    return path


def write_dicom(path: Path, stored: np.ndarray, photometric: str = "MONOCHROME2", bits: int = 12,
                window: tuple[float, float] | None = None, patient: str = "Doe^Jane") -> Path:
    """A CR DICOM file with ``stored`` (uint16) as its pixel data and a patient name in the header."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1"  # Computed Radiography
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientName, ds.PatientID, ds.Modality = patient, "PID-0001", "CR"
    ds.Rows, ds.Columns = stored.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, photometric
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, bits, bits - 1, 0
    if window:
        ds.WindowCenter, ds.WindowWidth = window
    ds.PixelData = stored.astype(np.uint16).tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


#: The ways a file gets damaged on a disk, a network or a careless tool (each mutant uses one).
MUTATIONS = ("flip", "header", "truncate", "repeat", "zero")


def mutant(data: bytes, rng) -> tuple[str, bytes]:
    """One damaged copy of ``data`` (``rng``: a ``random.Random``): bits flipped anywhere, bytes of the
    first kilobyte (the header) replaced, the file cut short, a block repeated, or a block zeroed."""
    data = bytearray(data)
    kind = rng.choice(MUTATIONS)
    if kind == "flip":
        for _ in range(rng.randint(1, 20)):
            i = rng.randrange(len(data))
            data[i] ^= 1 << rng.randrange(8)
    elif kind == "header":
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(min(len(data), 1024))] = rng.randrange(256)
    elif kind == "truncate":
        data = data[: rng.randrange(1, len(data))]
    elif kind == "repeat":
        i, n = rng.randrange(len(data)), rng.randint(1, 4096)
        data[i:i] = data[i:i + n] * rng.randint(1, 4)
    else:
        i, n = rng.randrange(len(data)), rng.randint(1, 4096)
        data[i:i + n] = bytes(len(data[i:i + n]))
    return kind, bytes(data)
