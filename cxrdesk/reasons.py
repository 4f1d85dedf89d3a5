"""A reason or warning the core gives (why an input gets no diagnosis, what a scan found), as text that also
says what it is: a :class:`Reason` is the English sentence (JSON, CSV and the command line show it as it is)
carrying a code and its figures, so that a window in another language words it its own way instead of
matching English text."""

from __future__ import annotations


class Reason(str):
    """An English sentence with ``code`` (what kind of reason) and ``values`` (its figures, or a nested
    :class:`Reason`), e.g. ``Reason("a colour image (colourfulness 40)...", "colour", colourfulness=40.2)``."""

    code: str
    values: dict

    def __new__(cls, text: str, code: str, **values) -> Reason:
        reason = super().__new__(cls, text)
        reason.code, reason.values = code, values
        return reason

    def __reduce__(self):  # pickled (a worker's result) as what it is, code and figures included
        return _rebuild, (str(self), self.code, self.values)


def _rebuild(text: str, code: str, values: dict) -> Reason:
    return Reason(text, code, **values)
