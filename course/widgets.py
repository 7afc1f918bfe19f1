"""Thin widget wiring: sliders call a pure drawing function and show its figure as a PNG.

Every lecture's visualizations are written as ``draw_*(...) -> Figure`` functions that
tests can call directly; :func:`interactive_figure` only connects controls to them, and
:func:`figure_png` is the one place a widget's figure becomes a picture.

Each support module lists its widgets' updates in ``WIDGET_UPDATES``: ``(name, update)``
pairs where ``update()`` calls the widget's pure function at a representative slider
setting and returns its Figure. ``make bench`` times ``figure_png(update())`` for each.
"""
from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import matplotlib
from IPython.display import Image, display
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullLocator

WIDGET_DPI = 80  # pixels per inch of a widget's picture: a 10-inch figure is 800 pixels wide

# Axes created under these settings put their title at a fixed height instead of measuring
# the tick labels to place it (a second pass over them on every draw); for widget figures,
# whose titles have no tick labels above the axes.
FIXED_TITLE = {"axes.titley": 1.0}

_slider_caches: list = []


def figure_png(fig: Figure, dpi: int = WIDGET_DPI) -> bytes:
    """The PNG a widget shows for ``fig``: its fixed layout as drawn (no tight bounding box,
    which would draw the figure twice)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def interactive_figure(draw: Callable[..., Figure], **controls: widgets.ValueWidget) -> widgets.VBox:
    """A box of ``controls`` above an output area that shows ``draw(**values)`` as a PNG.

    The figure is redrawn whenever a control changes; sliders should be created with
    ``continuous_update=False`` when a redraw takes more than a fraction of a second.
    """
    output = widgets.interactive_output(lambda **values: display(Image(figure_png(draw(**values)))), controls)
    layout = widgets.Layout(flex_flow="row wrap")
    return widgets.VBox([widgets.Box(list(controls.values()), layout=layout), output])


def unfinished_exercise_figure(exercise: str) -> Figure:
    """A small figure that says which exercise to finish before a widget can draw."""
    fig = Figure(figsize=(6.0, 1.2))
    fig.add_axes((0, 0, 1, 1)).set_axis_off()  # IPython shows a figure without axes as text, not as a picture
    fig.text(0.5, 0.5, f"This widget runs your code: finish {exercise} first\n"
             "(it still raises NotImplementedError), then run this cell again.",
             ha="center", va="center", fontsize=11)
    return fig


def after_exercise(draw: Callable[..., Figure], exercise: str) -> Callable[..., Figure]:
    """``draw`` for a widget driven by the student's own functions: while one of them is still
    the stub (raises NotImplementedError), the widget shows which ``exercise`` to finish
    instead of a traceback. Any other error of the student's code shows as usual."""
    @functools.wraps(draw)
    def guarded(*args: Any, **values: Any) -> Figure:
        try:
            return draw(*args, **values)
        except NotImplementedError:
            return unfinished_exercise_figure(exercise)
    return guarded


def slider_cache(function: Callable) -> Callable:
    """``functools.cache`` for a pure computation whose arguments are slider values (sliders
    are discrete, so going back to a setting is free). The benchmark clears these caches
    before each timed update: it times a setting's first visit."""
    cached = functools.cache(function)
    _slider_caches.append(cached)
    return cached


def clear_slider_caches() -> None:
    """Forget every :func:`slider_cache` result (the benchmark's first-visit timing)."""
    for cached in _slider_caches:
        cached.cache_clear()


def slider(value: float, low: float, high: float, step: float, description: str,
           integer: bool = False, **options: Any) -> widgets.ValueWidget:
    """A labelled slider with a readable width; integer sliders when ``integer``."""
    kind = widgets.IntSlider if integer else widgets.FloatSlider
    return kind(value=value, min=low, max=high, step=step, description=description,
                style={"description_width": "initial"}, continuous_update=False, **options)


def dropdown(options: list[str], value: str, description: str) -> widgets.Dropdown:
    """A labelled drop-down menu."""
    return widgets.Dropdown(options=options, value=value, description=description,
                            style={"description_width": "initial"})


def figure_row(ncols: int, width: float = 10.0, height: float = 3.6) -> tuple[Figure, list]:
    """A figure with ``ncols`` axes side by side and fixed margins.

    Fixed margins render about twice as fast as matplotlib's constrained layout, which
    matters for a figure redrawn on every slider move.
    """
    fig = Figure(figsize=(width, height))
    with matplotlib.rc_context(FIXED_TITLE):
        axes = fig.subplots(1, ncols)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.9, wspace=0.25)
    return fig, list(axes) if ncols > 1 else [axes]


def text_tick_labels(ax, labels: list[str], axis: str = "x", fontsize: float = 8, **options: Any) -> None:
    """Label positions 0, 1, ... of ``ax``'s ``axis`` ("x": below the axes, "y": left of them)
    with plain texts where tick labels would be, and remove that axis's ticks. A tick is several
    artists, measured more than once per draw: many of them dominate a widget's redraw time.
    ``options`` go to every text (e.g. ``family="monospace"``)."""
    below = axis == "x"
    (ax.set_xticks if below else ax.set_yticks)([])
    transform = ax.get_xaxis_transform() if below else ax.get_yaxis_transform()
    for i, label in enumerate(labels):
        if below:
            ax.text(i, -0.015, label, transform=transform, ha="center", va="top", fontsize=fontsize, **options)
        else:
            ax.text(-0.015, i, label, transform=transform, ha="right", va="center", fontsize=fontsize, **options)


_SUPERSCRIPTS = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")


def _power_of_ten(value: float, _position=None) -> str:
    exponent = np.log10(value) if value > 0 else np.nan
    if np.isfinite(exponent) and abs(exponent - round(exponent)) < 1e-9:
        return "10" + str(int(round(exponent))).translate(_SUPERSCRIPTS)
    return f"{value:g}"


def plain_log_ticks(axis) -> None:
    """A log axis's decades labelled 10⁻², 10⁰, ... in plain text, without minor ticks. Matplotlib's
    default labels are math text, parsed anew by every render: slow for a widget's redraws.
    Call it after plotting (plotting on a log axis resets the formatter)."""
    axis.set_minor_locator(NullLocator())
    axis.set_major_formatter(FuncFormatter(_power_of_ten))

