"""The three canonical classes and the many ways real folders spell them."""

from __future__ import annotations

import re

#: Canonical class names, in the order used for model outputs and tables (alphabetical, as Keras'
#: ``flow_from_directory`` ordered the study's folders, so the study's confusion matrices line up).
CLASSES: tuple[str, ...] = ("COVID-19", "Healthy", "Tuberculosis")

_ALIASES = {
    "COVID-19": {"covid", "covid19", "covid2019", "sarscov2", "coronavirus", "ncov", "2019ncov"},
    "Healthy": {"healthy", "normal", "normals", "sano", "sanos", "sana", "sanas", "nofinding",
                "negative", "control", "controls", "saludable"},
    "Tuberculosis": {"tuberculosis", "tb", "tbc", "ptb", "tuberculosos"},
}
_LOOKUP = {alias: canonical for canonical, aliases in _ALIASES.items() for alias in aliases}


def normalise(name: str) -> str:
    """Lower-case and drop everything but letters and digits: 'COVID-19 ' -> 'covid19'."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def canonical_class(folder_name: str) -> str | None:
    """Map a folder name to a canonical class, or None when it is not one of the three."""
    key = normalise(folder_name)
    if key in _LOOKUP:
        return _LOOKUP[key]
    for canonical in CLASSES:  # the canonical names themselves, whatever the spelling
        if key == normalise(canonical):
            return canonical
    return None
