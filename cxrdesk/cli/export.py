"""``cxrdesk export``: a model as ONNX (run by ONNX Runtime, without TensorFlow), with the preprocessing
inside it (resize, rescale, and a lung-field model's lung network and crop)."""

from __future__ import annotations

import json
from pathlib import Path

from ..bundle import BundleError, Card, is_demo_bundle, load_bundle
from ..card import CARD_FILE, LUNG_FORMAT, LUNGS_ONNX_FILE, ONNX_FILE, amend_card, read_card_file
from ..devices import use_cpu_in_process
from ..errors import CxrdeskError
from ..export import FORMATS, export_bundle_files, export_lung_bundle_file, export_model
from ..lungs import LungCard, load_lung_model
from ..onnx_inference import onnx_file_hashes


def register(sub) -> None:
    p = sub.add_parser("export", help="write a model as ONNX (for ONNX Runtime), its preprocessing inside")
    p.add_argument("model", help="a classifier or lung model bundle folder")
    p.add_argument("--format", choices=FORMATS, default="onnx",
                   help="onnx, the one format offered (TensorFlow Lite cannot run these models on images of any size)")
    p.add_argument("--out", metavar="FILE",
                   help="the file to write (never replaces one); without it, ONNX is added to the bundle itself "
                        f"({ONNX_FILE}, its hash on the card), so that 'cxrdesk diagnose' runs without TensorFlow")
    p.set_defaults(func=cmd_export)


def cmd_export(args) -> int:
    folder = Path(args.model)
    if not (folder / CARD_FILE).is_file():
        raise CxrdeskError(f"{folder} is not a CXRDesk model bundle (no {CARD_FILE})")
    try:
        lung = json.loads((folder / CARD_FILE).read_text(encoding="utf-8")).get("format") == LUNG_FORMAT
    except (OSError, ValueError, AttributeError):
        raise CxrdeskError(f"{folder / CARD_FILE} is not a readable CXRDesk card") from None
    if args.out is None:
        return _into_bundle(folder, lung)
    out = Path(args.out)
    if out.exists():
        raise CxrdeskError(f"{out} exists: choose another file (CXRDesk does not replace it)")
    if not out.resolve().parent.is_dir():
        raise CxrdeskError(f"cannot write {out}: its folder does not exist")
    use_cpu_in_process()
    model = load_lung_model(folder).model if lung else load_bundle(folder).model
    export_model(model, out, args.format, classifier=not lung)
    print(f"Wrote {out} ({out.stat().st_size / 1e6:.1f} MB, {args.format}): input 'grayscale' (batch, height, "
          "width, 1), 0-255, any size; " + ("output the lung probability map" if lung else
                                           "outputs the probabilities before the card's calibration, then the "
                                           "lung map (zeros without a lung field)"))
    return 0


def _into_bundle(folder: Path, lung: bool) -> int:
    if is_demo_bundle(folder):
        raise CxrdeskError(f"{folder} is the shipped demo model, which already carries {ONNX_FILE} and is not "
                           "changed: give --out FILE")
    kind = LungCard if lung else Card
    card = read_card_file(folder, kind, BundleError)
    if onnx_file_hashes(card).get(ONNX_FILE) and (folder / ONNX_FILE).is_file():
        print(f"{folder} already carries {ONNX_FILE} (its hash is on the card): nothing to do")
        return 0
    strangers = [name for name in (ONNX_FILE, LUNGS_ONNX_FILE) if (folder / name).exists()]
    if strangers:
        raise CxrdeskError(f"{folder} holds {', '.join(strangers)} that its card does not vouch for: move it away "
                           "first (CXRDesk does not replace a file it did not write)")
    use_cpu_in_process()
    if lung:
        section = export_lung_bundle_file(load_lung_model(folder).model, folder)
    else:
        bundle = load_bundle(folder)
        section = export_bundle_files(bundle.model, folder, bundle.card.lung_field != "off")
    amend_card(folder, kind, lambda c: c.update(onnx=section), BundleError)
    names = ", ".join(section["files"])
    print(f"Added {names} to {folder} (hashes on its card): 'cxrdesk diagnose' now runs it without TensorFlow"
          + (f"; {LUNGS_ONNX_FILE} is its lung network alone, for the lung checks" if LUNGS_ONNX_FILE in names else ""))
    return 0
