"""Thin widget wiring: sliders call a pure drawing function and show its figure.

Every lecture's visualizations are written as ``draw_*(...) -> Figure`` functions that
tests can call directly; :func:`interactive_figure` only connects controls to them.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
from IPython.display import display
from matplotlib.figure import Figure


def interactive_figure(draw: Callable[..., Figure], **controls: widgets.ValueWidget) -> widgets.VBox:
    """A box of ``controls`` above an output area that shows ``draw(**values)``.

    The figure is redrawn whenever a control changes; sliders should be created with
    ``continuous_update=False`` when a redraw takes more than a fraction of a second.
    """
    output = widgets.interactive_output(lambda **values: display(draw(**values)), controls)
    layout = widgets.Layout(flex_flow="row wrap")
    return widgets.VBox([widgets.Box(list(controls.values()), layout=layout), output])


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
    axes = fig.subplots(1, ncols)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.9, wspace=0.25)
    return fig, list(axes) if ncols > 1 else [axes]
