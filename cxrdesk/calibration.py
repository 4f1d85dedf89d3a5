"""Probabilities a clinician can take at their word, and screening thresholds.

- **Temperature scaling** (Guo et al., 2017): one number T fitted on the validation split so that
  ``softmax(log p / T)`` minimises the negative log-likelihood. It changes no prediction (the order of
  the classes of an image is kept) but makes "90 %" mean right about nine times in ten. T and the
  expected calibration error before and after are saved in the model card, and every later stage
  (evaluation, diagnosis) applies it.
- **Site calibration**: a model trained elsewhere is over-confident at a new hospital (the
  temperature fitted on the training hospitals' validation images does not transfer), and the new
  hospital's mix of cases differs. Fitted on a few labelled images of that hospital, a temperature
  and, when at least two classes have enough images there, one offset per class (a shift of the
  class's log-odds: the new prior), penalised towards zero so that a small set cannot run away with
  them. It is checked on other images of the same hospital, never those it was fitted on.
- **Screening thresholds**: per class, the highest probability threshold that still reaches a target
  sensitivity on validation. For tuberculosis the WHO target product profile for screening software
  asks sensitivity >= 90 % with specificity >= 70 %; evaluation reports both at the saved threshold and
  whether that minimum is met.
"""

from __future__ import annotations

import numpy as np

from .classes import screened

#: The WHO target product profile for TB screening (triage) tests: the minimum a tool should reach.
WHO_TB = {"class": "Tuberculosis", "sensitivity": 0.90, "specificity": 0.70}
DEFAULT_TARGET_SENSITIVITY = 0.90
#: The accuracy the answers a model gives (not "uncertain") should reach, by default.
DEFAULT_TARGET_ACCURACY = 0.85
#: A confidence threshold is never chosen on fewer answered images than this (noise, not a figure).
MIN_ANSWERED = 10
_EPS = 1e-7


def apply_temperature(probabilities: np.ndarray, temperature: float | None, offsets=None) -> np.ndarray:
    """``softmax(log p / T + b)`` row by row; T = None or 1 and no offsets ``b`` leave ``p`` as it is."""
    p = np.asarray(probabilities, dtype=np.float64)
    if (not temperature or temperature == 1.0) and offsets is None:
        return p
    logits = np.log(np.clip(p, _EPS, 1.0)) / (temperature or 1.0)
    if offsets is not None:
        logits = logits + np.asarray(offsets, dtype=np.float64)
    logits -= logits.max(axis=-1, keepdims=True)
    e = np.exp(logits)
    return e / e.sum(axis=-1, keepdims=True)


def negative_log_likelihood(probabilities: np.ndarray, y_true: np.ndarray, weights: np.ndarray | None = None) -> float:
    """The (weighted) mean negative log-likelihood of the true classes."""
    p = np.clip(probabilities[np.arange(len(y_true)), y_true], _EPS, 1.0)
    return float(np.average(-np.log(p), weights=weights))


def class_balanced_weights(y_true: np.ndarray, n_classes: int) -> np.ndarray:
    """A weight per image so that every class present weighs the same in all (weights averaging 1)."""
    y_true = np.asarray(y_true)
    counts = np.bincount(y_true, minlength=n_classes).astype(np.float64)
    present = counts > 0
    weights = np.zeros(n_classes)
    weights[present] = len(y_true) / (present.sum() * counts[present])
    return weights[y_true]


def fit_temperature(probabilities: np.ndarray, y_true: np.ndarray, weights: np.ndarray | None = None) -> float:
    """The T in [0.05, 20] that minimises the (weighted) NLL (a 1-D bounded search on log T)."""
    from scipy.optimize import minimize_scalar

    y_true = np.asarray(y_true)
    result = minimize_scalar(lambda log_t: negative_log_likelihood(apply_temperature(probabilities, np.exp(log_t)),
                                                                    y_true, weights),
                             bounds=(np.log(0.05), np.log(20.0)), method="bounded", options={"xatol": 1e-4})
    return float(np.exp(result.x))


def reliability(probabilities: np.ndarray, y_true: np.ndarray, bins: int = 10) -> dict:
    """Reliability diagram data (confidence of the predicted class vs accuracy) and the ECE."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == y_true
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    rows, ece = [], 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            acc, conf = float(correct[mask].mean()), float(confidence[mask].mean())
            ece += mask.mean() * abs(acc - conf)
            rows.append({"low": float(edges[b]), "high": float(edges[b + 1]), "count": int(mask.sum()),
                         "accuracy": acc, "confidence": conf})
    return {"bins": rows, "ece": float(ece)}


def expected_calibration_error(probabilities: np.ndarray, y_true: np.ndarray, bins: int = 10) -> float:
    return reliability(np.asarray(probabilities), np.asarray(y_true), bins)["ece"]


def choose_thresholds(probabilities: np.ndarray, y_true: np.ndarray, classes, target: float
                      ) -> dict[str, dict]:
    """Per disease class (one vs the rest; none for the healthy class), the highest threshold on its probability
    whose sensitivity on these images is at least ``target``, with the sensitivity and specificity it gives there."""
    thresholds = {}
    for k, name in enumerate(classes):
        positive = y_true == k
        if not screened(name) or positive.sum() == 0 or (~positive).sum() == 0:
            continue
        scores = np.sort(probabilities[positive, k])[::-1]
        needed = int(np.ceil(target * len(scores)))  # positives that must score at or above it
        threshold = float(scores[max(needed, 1) - 1])
        sens, spec = sensitivity_specificity(probabilities[:, k], positive, threshold)
        thresholds[name] = {"threshold": round(threshold, 6), "target_sensitivity": target,
                            "sensitivity": round(sens, 4), "specificity": round(spec, 4),
                            "positives": int(positive.sum()), "negatives": int((~positive).sum())}
    return thresholds


def sensitivity_specificity(scores: np.ndarray, positive: np.ndarray, threshold: float) -> tuple[float, float]:
    called = scores >= threshold
    sens = float((called & positive).sum() / max(positive.sum(), 1))
    spec = float((~called & ~positive).sum() / max((~positive).sum(), 1))
    return sens, spec


def screening_report(probabilities: np.ndarray, y_true: np.ndarray, classes, thresholds: dict) -> dict:
    """Sensitivity and specificity at the saved thresholds on these images; for tuberculosis, whether
    the WHO minimum (sensitivity >= 90 %, specificity >= 70 %) is met."""
    report = {}
    for k, name in enumerate(classes):
        if name not in thresholds:
            continue
        positive = y_true == k
        if positive.sum() == 0 or (~positive).sum() == 0:
            continue
        sens, spec = sensitivity_specificity(probabilities[:, k], positive, thresholds[name]["threshold"])
        row = {"threshold": thresholds[name]["threshold"], "sensitivity": round(sens, 4),
               "specificity": round(spec, 4), "positives": int(positive.sum())}
        if name == WHO_TB["class"]:
            row["who_minimum_met"] = sens >= WHO_TB["sensitivity"] and spec >= WHO_TB["specificity"]
        report[name] = row
    return report


def calibrate(probabilities: np.ndarray, y_true: np.ndarray, classes,
              target: float = DEFAULT_TARGET_SENSITIVITY) -> dict:
    """Fit the temperature and the screening thresholds on validation: what the card records."""
    y_true = np.asarray(y_true)
    temperature = fit_temperature(probabilities, y_true)
    calibrated = apply_temperature(probabilities, temperature)
    return {"temperature": round(temperature, 5), "fitted_on": "validation", "images": int(len(y_true)),
            "ece_before": round(expected_calibration_error(probabilities, y_true), 5),
            "ece_after": round(expected_calibration_error(calibrated, y_true), 5),
            "nll_before": round(negative_log_likelihood(probabilities, y_true), 5),
            "nll_after": round(negative_log_likelihood(calibrated, y_true), 5),
            "thresholds": choose_thresholds(calibrated, y_true, classes, target)}


#: At least this many calibration images of two classes or more before class offsets are fitted;
#: fewer, and only the temperature is.
MIN_IMAGES_FOR_OFFSETS = 10
OFFSET_PENALTY = 0.02  # weight of sum(b^2) added to the mean NLL: keeps offsets of absent classes finite


def fit_temperature_and_offsets(probabilities: np.ndarray, y_true: np.ndarray, n_classes: int, *,
                                offsets: bool = True, weights: np.ndarray | None = None
                                ) -> tuple[float, np.ndarray | None]:
    """(T, b) minimising the (weighted) mean NLL of ``softmax(log p / T + b)`` plus a small penalty on
    ``b`` (L-BFGS over log T and b); only T when ``offsets`` is False."""
    from scipy.optimize import minimize

    y_true = np.asarray(y_true)
    if not offsets:
        return fit_temperature(probabilities, y_true, weights), None

    def objective(params):
        t = float(np.exp(np.clip(params[0], np.log(0.05), np.log(20.0))))
        b = params[1:] - params[1:].mean()  # only differences between offsets matter
        nll = negative_log_likelihood(apply_temperature(probabilities, t, b), y_true, weights)
        return nll + OFFSET_PENALTY * float(b @ b)

    result = minimize(objective, np.zeros(n_classes + 1), method="L-BFGS-B",
                      bounds=[(np.log(0.05), np.log(20.0))] + [(-6.0, 6.0)] * n_classes)
    b = result.x[1:] - result.x[1:].mean()
    return float(np.exp(result.x[0])), b


def fit_site(probabilities: np.ndarray, y_true: np.ndarray, classes, target: float = DEFAULT_TARGET_SENSITIVITY
             ) -> dict:
    """A site calibration from a hospital's own labelled images (``probabilities`` as the model gives
    them, before any temperature): what the site bundle's card records as its calibration."""
    y_true = np.asarray(y_true)
    counts = np.bincount(y_true, minlength=len(classes))
    with_offsets = int((counts >= MIN_IMAGES_FOR_OFFSETS).sum()) >= 2
    temperature, offsets = fit_temperature_and_offsets(probabilities, y_true, len(classes), offsets=with_offsets)
    calibrated = apply_temperature(probabilities, temperature, offsets)
    return {"temperature": round(temperature, 5),
            "offsets": ({c: round(float(b), 5) for c, b in zip(classes, offsets)} if offsets is not None else None),
            "fitted_on": "site", "images": int(len(y_true)),
            "images_per_class": {c: int(n) for c, n in zip(classes, counts)},
            "what": ("temperature and class offsets" if with_offsets else
                     f"temperature only (class offsets need {MIN_IMAGES_FOR_OFFSETS} images of two classes or more)"),
            "ece_before": round(expected_calibration_error(probabilities, y_true), 5),
            "ece_after": round(expected_calibration_error(calibrated, y_true), 5),
            "nll_before": round(negative_log_likelihood(probabilities, y_true), 5),
            "nll_after": round(negative_log_likelihood(calibrated, y_true), 5),
            "thresholds": choose_thresholds(calibrated, y_true, classes, target),
            "uncertain": choose_confidence_threshold(calibrated, y_true, DEFAULT_TARGET_ACCURACY)}


def choose_confidence_threshold(probabilities: np.ndarray, y_true: np.ndarray,
                                target: float = DEFAULT_TARGET_ACCURACY) -> dict:
    """The lowest confidence (highest class probability) at or above which the answers given are right
    at least ``target`` of the time on these images, answering as many as possible; below it a diagnosis
    says "uncertain". When no confidence reaches the target on at least :data:`MIN_ANSWERED` images, the
    threshold is above every probability (every answer is "uncertain") and ``reached`` is False."""
    p = np.asarray(probabilities, dtype=np.float64)
    y_true = np.asarray(y_true)
    confidence = p.max(axis=1)
    correct = p.argmax(axis=1) == y_true
    order = np.argsort(-confidence, kind="stable")
    sorted_conf, sorted_correct = confidence[order], correct[order]
    answered = np.arange(1, len(p) + 1)
    accuracy = np.cumsum(sorted_correct) / answered
    # a threshold t answers every image with confidence >= t: only the last of a run of ties is a candidate
    boundary = np.append(sorted_conf[1:] < sorted_conf[:-1], True)
    ok = np.flatnonzero(boundary & (accuracy >= target) & (answered >= min(MIN_ANSWERED, len(p))))
    result = {"target_accuracy": target, "images": int(len(p))}
    if len(ok) == 0:
        return {**result, "threshold": 1.0 + 1e-9, "reached": False, "coverage": 0.0, "accuracy_when_sure": None}
    k = int(ok[-1])  # the most images answered
    return {**result, "threshold": round(float(sorted_conf[k]), 6), "reached": True,
            "coverage": round(float(answered[k] / len(p)), 4), "accuracy_when_sure": round(float(accuracy[k]), 4)}


def answered_figures(probabilities: np.ndarray, y_true: np.ndarray, threshold: float) -> dict:
    """Coverage (share of images answered, confidence >= ``threshold``) and accuracy on those."""
    p = np.asarray(probabilities, dtype=np.float64)
    sure = p.max(axis=1) >= threshold
    correct = p.argmax(axis=1) == np.asarray(y_true)
    return {"threshold": threshold, "coverage": round(float(sure.mean()), 4) if len(p) else 0.0,
            "answered": int(sure.sum()),
            "accuracy_when_sure": round(float(correct[sure].mean()), 4) if sure.any() else None}


def fit_unseen(probabilities: np.ndarray, y_true: np.ndarray, classes, *,
               target_sensitivity: float = DEFAULT_TARGET_SENSITIVITY,
               target_accuracy: float = DEFAULT_TARGET_ACCURACY, offsets: bool = True, what: str = "") -> dict:
    """A calibration for hospitals a model never saw, fitted on out-of-hospital predictions (each image
    predicted by a model that never saw its hospital, ``probabilities`` before any temperature): the
    temperature and (``offsets``) class offsets, the screening thresholds and the "uncertain" threshold.
    What the card records as its calibration; the validation images of the training hospitals are not
    used (a temperature fitted there leaves a model over-confident elsewhere)."""
    y_true = np.asarray(y_true)
    counts = np.bincount(y_true, minlength=len(classes))
    with_offsets = offsets and int((counts >= MIN_IMAGES_FOR_OFFSETS).sum()) >= 2
    # every class weighs the same: the offsets then correct how the model leans between classes, not the class
    # mix of the predictions fitted on (with a source held out, its class is short there: fitted as they come,
    # the offsets turned against exactly the class of the source they were then applied to)
    weights = class_balanced_weights(y_true, len(classes))
    temperature, fitted = fit_temperature_and_offsets(probabilities, y_true, len(classes), offsets=with_offsets,
                                                      weights=weights)
    calibrated = apply_temperature(probabilities, temperature, fitted)
    return {"temperature": round(temperature, 5),
            "offsets": ({c: round(float(b), 5) for c, b in zip(classes, fitted)} if fitted is not None else None),
            "fitted_on": "unseen hospitals", "weighting": "every class weighs the same",
            "what": what or "leave-one-hospital-out predictions",
            "images": int(len(y_true)), "images_per_class": {c: int(n) for c, n in zip(classes, counts)},
            "ece_before": round(expected_calibration_error(probabilities, y_true), 5),
            "ece_after": round(expected_calibration_error(calibrated, y_true), 5),
            "nll_before": round(negative_log_likelihood(probabilities, y_true), 5),
            "nll_after": round(negative_log_likelihood(calibrated, y_true), 5),
            "thresholds": choose_thresholds(calibrated, y_true, classes, target_sensitivity),
            "uncertain": choose_confidence_threshold(calibrated, y_true, target_accuracy)}
