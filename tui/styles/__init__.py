"""The app's stylesheets. A package only so that setuptools ships these .tcss files with
the wheel (pyproject's package-data takes `*.tcss` from every package)."""
