"""Class names: where they come from (the data's folder names) and the many ways folders spell them.

A dataset's classes are the names of its class folders, mapped through the known spellings of the
study's three classes (``covid19`` -> ``COVID-19``, ``Normal``/``Sano`` -> ``Healthy``, ``TB`` ->
``Tuberculosis``); any other folder is a class of its own under its own name (``Pneumonia``). The
classes are written into the curated dataset and the model card, and every later stage reads them
from there: nothing downstream assumes three classes, nor which ones.
"""

from __future__ import annotations

import re
from typing import Iterable

#: The study's classes, in the order of its tables (alphabetical, as Keras' ``flow_from_directory``
#: ordered its folders). Used only where a file written before classes travelled with the data
#: (a dataset or a model card without a ``classes`` entry) must be read.
STUDY_CLASSES: tuple[str, ...] = ("COVID-19", "Healthy", "Tuberculosis")

_ALIASES = {
    "COVID-19": {"covid", "covid19", "covid2019", "sarscov2", "coronavirus", "ncov", "2019ncov"},
    "Healthy": {"healthy", "normal", "normals", "sano", "sanos", "sana", "sanas", "nofinding",
                "negative", "control", "controls", "saludable"},
    "Tuberculosis": {"tuberculosis", "tb", "tbc", "ptb", "tuberculosos"},
}
_LOOKUP = {alias: canonical for canonical, aliases in _ALIASES.items() for alias in aliases}
_LOOKUP.update({re.sub(r"[^a-z0-9]", "", canonical.lower()): canonical for canonical in _ALIASES})

MIN_CLASSES = 2
#: The class of films without disease: no screening threshold applies to it (a high probability of health
#: is no reason to refer anyone for a confirmatory test).
HEALTHY = "Healthy"


def screened(name: str) -> bool:
    """Whether a class gets a screening threshold: every class but the healthy one."""
    return name != HEALTHY


def normalise(name: str) -> str:
    """Lower-case and drop everything but letters and digits: 'COVID-19 ' -> 'covid19'."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def known_class(folder_name: str) -> str | None:
    """The study's name for a folder that spells one of its classes, or None."""
    return _LOOKUP.get(normalise(folder_name))


def canonical_class(folder_name: str) -> str:
    """The class a folder holds: a known spelling's canonical name, else the folder's own name
    (separators as spaces, first letter upper-case: 'viral_pneumonia' -> 'Viral pneumonia')."""
    known = known_class(folder_name)
    if known:
        return known
    name = re.sub(r"[\s_]+", " ", folder_name).strip()
    return name[:1].upper() + name[1:]


def order_classes(names: Iterable[str]) -> tuple[str, ...]:
    """Distinct class names in the order of model outputs and tables: alphabetical, ignoring case
    (the study's order for its three classes)."""
    return tuple(sorted(set(names), key=lambda n: (n.casefold(), n)))


def classes_of(record: dict | None) -> tuple[str, ...]:
    """The classes a dataset description or model card records; the study's three for files written
    before classes were recorded."""
    found = (record or {}).get("classes")
    return tuple(found) if found else STUDY_CLASSES
