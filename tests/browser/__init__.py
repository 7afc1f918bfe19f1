"""End-to-end tests in a real browser: JupyterLab, the widgets and nbgrader's extensions."""
