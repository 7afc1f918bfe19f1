"""Support library for the course notebooks: checks, widgets, plots, data and environments.

Nothing here solves an exercise: the notebooks import these helpers so that each lecture's
cells stay short and its widgets work before any exercise is solved.
"""
