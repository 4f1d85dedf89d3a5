"""Reading a Matplotlib figure back as its drawn texts (for the report's layout and language tests)."""

from __future__ import annotations


def drawn_texts(fig) -> list[tuple[str, object]]:
    """Every visible, non-empty text the figure draws, with its box on the page (an image panel's axes are
    off: its tick labels are never drawn)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    texts = list(fig.texts)
    for ax in fig.axes:
        texts += [*ax.texts, ax.title]
        if ax.axison:
            texts += [*ax.get_xticklabels(), *ax.get_yticklabels(), ax.xaxis.label, ax.yaxis.label]
    return [(t.get_text(), t.get_window_extent(renderer)) for t in texts if t.get_visible() and t.get_text().strip()]


def assert_apart_on_the_page(fig) -> list[str]:
    """Each text box inside the page and apart from every other; the texts."""
    boxes = drawn_texts(fig)
    page = fig.bbox
    for i, (text, box) in enumerate(boxes):
        assert page.contains(box.x0, box.y0) and page.contains(box.x1, box.y1), f"{text!r} leaves the page"
        for other, other_box in boxes[i + 1:]:
            assert not box.overlaps(other_box), f"{text!r} is drawn over {other!r}"
    return [text for text, _ in boxes]
