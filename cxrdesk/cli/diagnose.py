"""``cxrdesk diagnose`` and ``cxrdesk lungs``: class probabilities of radiographs (with "uncertain", the
out-of-distribution warnings, Grad-CAM and a PDF report), and lung masks; one bad file never ends a batch."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from PIL import Image

from .. import RESEARCH_NOTICE
from ..atomic import replacing
from ..bundle import default_bundle_folder, read_card
from ..card import ONNX_FILE
from ..devices import prepare_process, use_cpu_in_process
from ..diagnosis import Diagnoser
from ..errors import CxrdeskError
from ..imaging import read_grayscale
from ..lungs import load_lung_model, overlay
from ..onnx_inference import usable_onnx
from ..batch import csv_summary, expand_inputs, write_csv
from ..report import write_diagnosis_report, write_heatmap_png
from .common import progress_bar


def register(sub) -> None:
    p = sub.add_parser("lungs", help="lung masks and overlays of radiographs (any format, DICOM included)")
    p.add_argument("images", nargs="+", help="radiograph files")
    p.add_argument("--out", required=True, help="folder for <stem>.mask.png and <stem>.overlay.png")
    p.add_argument("--model", help="lung model bundle (default: the one shipped in models/)")
    p.add_argument("--json", action="store_true", help="print lung share, bounding box and plausibility as JSON")
    p.set_defaults(func=cmd_lungs)

    p = sub.add_parser("diagnose", help="class probabilities of radiographs, with an optional Grad-CAM heatmap")
    p.add_argument("images", nargs="+", help="radiograph files (PNG, JPEG, BMP, TIFF, DICOM) or folders of them")
    p.add_argument("--recursive", action="store_true", help="for a folder: its sub-folders' films too")
    p.add_argument("--csv", metavar="FILE", help="write one row per file to FILE (file, predicted or empty, each class's "
                                                  "probability, uncertain, out of distribution and why, heat share, "
                                                  "error); the text output is then one summary line")
    p.add_argument("--model", help="model bundle folder (default: the newest in --models-dir)")
    p.add_argument("--models-dir", default="models", help="where to look for the newest bundle")
    p.add_argument("--heatmap", metavar="DIR", help="save a Grad-CAM overlay PNG per image to DIR")
    p.add_argument("--heatmap-class", metavar="CLASS",
                   help="one of the model's classes for the heatmap (default: the predicted one)")
    p.add_argument("--report", metavar="DIR", help="write a one-page PDF report per image to DIR")
    p.add_argument("--force", action="store_true",
                   help="give the probabilities even of an input that does not look like a frontal chest radiograph "
                        "(marked as not a diagnosis; by default such an input gets no diagnosis)")
    p.add_argument("--json", action="store_true", help="print the results as JSON (one object, every file listed)")
    p.set_defaults(func=cmd_diagnose)


#: Files read before the model is loaded are kept for the diagnosis when there are at most this many
#: (a larger batch reads each file again rather than hold every image in memory).
KEEP_READ = 32


def check_files(paths: list[str]) -> tuple[dict, list[dict]]:
    """Every file read before the model is loaded, so that a wrong or unreadable file is said in well under
    a second (called for at most :data:`KEEP_READ` files): (the images read, by path; one failure record per
    unreadable file)."""
    loaded, failures = {}, []
    for path in paths:
        try:
            image = read_grayscale(path)
        except CxrdeskError as exc:
            failures.append({"file": path, "error": str(exc)})
            print(f"cxrdesk: error: {exc}", file=sys.stderr)
            continue
        loaded[path] = image
    return loaded, failures


def cmd_diagnose(args) -> int:
    folder = args.model or default_bundle_folder(args.models_dir)
    if args.csv and not Path(args.csv).resolve().parent.is_dir():
        raise CxrdeskError(f"cannot write {args.csv}: its folder does not exist")
    images = expand_inputs(args.images, args.recursive)
    loaded, failures = check_files(images) if len(images) <= KEEP_READ else ({}, [])
    failed = {f["file"] for f in failures}
    if len(failed) == len(images):
        if args.csv:
            write_csv(Path(args.csv), images, [], failures, [])
        if args.json:
            print(json.dumps({"model": None, "notice": RESEARCH_NOTICE, "results": [], "failed": failures}, indent=2))
        return 1
    outputs = {}
    for option in ("heatmap", "report"):
        if getattr(args, option):
            outputs[option] = Path(getattr(args, option))
            outputs[option].mkdir(parents=True, exist_ok=True)
    onnx = usable_onnx(folder, read_card(folder), ONNX_FILE)
    prepare_process("cpu")
    if outputs or not onnx:
        use_cpu_in_process()  # Grad-CAM, or a bundle without model.onnx, needs TensorFlow
    diagnoser = Diagnoser.open(folder)
    if not onnx:
        print(f"cxrdesk: note: {folder} has no {ONNX_FILE} (a bundle from before CXRDesk exported ONNX): it runs "
              f"through TensorFlow, which takes seconds to start; 'cxrdesk export {folder}' adds one",
              file=sys.stderr)
    if args.heatmap_class:
        diagnoser.class_named(args.heatmap_class)  # a wrong class is refused before any image is read
    quiet = args.json or args.csv
    if not quiet:
        print_model(diagnoser.summary)
    results, started = [], time.perf_counter()
    update, close = progress_bar("Diagnosing", enabled=bool(quiet) and len(images) > 1)
    for done, path in enumerate(images, 1):
        update(done - 1, len(images))
        if path in failed:
            continue
        try:
            result = diagnoser.diagnose(path, heatmap=bool(outputs), heatmap_class=args.heatmap_class,
                                        force=args.force, loaded=loaded.pop(path, None))
        except CxrdeskError as exc:
            failures.append({"file": path, "error": str(exc)})
            print(f"cxrdesk: error: {exc}", file=sys.stderr)
            continue
        heatmap_path = report_path = None
        if "heatmap" in outputs:
            heatmap_path = write_heatmap_png(result, outputs["heatmap"] / f"{Path(path).stem}.gradcam.png")
        if "report" in outputs:
            report_path = write_diagnosis_report(result, outputs["report"] / f"{Path(path).stem}.cxrdesk.pdf")
        results.append({**result.to_dict(), "heatmap": str(heatmap_path) if heatmap_path else None,
                        "report": str(report_path) if report_path else None})
        if not quiet:
            print_result(path, result, heatmap_path, report_path)
    close()
    seconds = time.perf_counter() - started
    if args.csv:
        write_csv(Path(args.csv), images, results, failures, diagnoser.classes)
        if not args.json:
            print(csv_summary(Path(args.csv), images, results, failures, seconds))
    if args.json:
        print(json.dumps({"model": diagnoser.summary, "notice": RESEARCH_NOTICE, "results": results,
                          "failed": failures}, indent=2))
    return 1 if failures else 0


def print_model(summary: dict) -> None:
    val = summary["validation_general_precision"]
    print(f"Model: {summary['name']} ({summary['architecture']}, {summary['train_images']} training images, "
          f"validation general precision {val:.2%})" if val is not None else f"Model: {summary['name']}")
    print(f"Classes: {', '.join(summary['classes'])}; run on {summary.get('runtime', 'TensorFlow')}")
    print(f"Quality: {summary['quality']}")
    if summary["demo"]:
        print("This is the demonstration model shipped with CXRDesk, trained on about 1,500 public images: "
              "not a clinical model.")
    print(RESEARCH_NOTICE)


def print_result(path: str, result, heatmap_path, report_path) -> None:
    answer = result.answer_sentence()
    print(f"\n{path}\n  {answer[0].upper() + answer[1:]}")
    if result.refused:
        print("  (--force gives its probabilities anyway, marked as not a diagnosis)")
    else:
        probs = "  ".join(f"{c} {p:6.1%}" for c, p in result.probabilities.items())
        print(f"  probabilities{' (NOT A DIAGNOSIS)' if result.forced else ''}: {probs}")
    for line in result.screening_sentences():
        print(f"  Screening: {line}")
    if result.learnt:
        print(f"  Note: {result.learnt_sentence()}")
    if result.mirrored is not None:
        print(f"  Note: {result.mirrored_sentence()}")
    if result.lungs is not None and result.lungs.plausible:
        print(f"  Lungs: {result.lungs.share:.0%} of the image, box {result.lungs.bbox}")
    if result.heatmap is not None:
        print(f"  Grad-CAM ({result.heatmap_class}): {result.heat_sentence() or 'no lung model for the heat share'}"
              + (f"; {heatmap_path}" if heatmap_path else ""))
    if report_path:
        print(f"  Report: {report_path}")





def cmd_lungs(args) -> int:
    """Lung masks and overlays of radiographs; one line per unreadable file, the rest still run."""
    use_cpu_in_process()
    segmenter = load_lung_model(args.model)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results, failures = [], []
    for path in args.images:
        try:
            pixels = read_grayscale(path).pixels
        except CxrdeskError as exc:
            failures.append({"file": path, "error": str(exc)})
            print(f"cxrdesk: error: {exc}", file=sys.stderr)
            continue
        found = segmenter.segment(pixels)
        stem = Path(path).stem
        mask_path, overlay_path = out / f"{stem}.mask.png", out / f"{stem}.overlay.png"
        with replacing(mask_path) as tmp:
            Image.fromarray(found.mask, mode="L").save(tmp, format="PNG")
        with replacing(overlay_path) as tmp:
            overlay(pixels, found).save(tmp, format="PNG")
        record = {"file": path, "width": int(pixels.shape[1]), "height": int(pixels.shape[0]), **found.to_dict(),
                  "mask": str(mask_path), "overlay": str(overlay_path)}
        results.append(record)
        if not args.json:
            verdict = "plausible lungs" if found.plausible else f"NO PLAUSIBLE LUNGS ({found.reason})"
            print(f"{path}: lungs {found.share:.1%} of the image, box {found.bbox}, {verdict}; {mask_path}")
    if args.json:
        print(json.dumps({"model": segmenter.card.get("name"), "results": results, "failed": failures}, indent=2))
    return 1 if failures else 0
