"""The performance framework: a TOML file of themes, measures, priority areas and objectives.

``load_framework(path=None)`` reads and validates a framework (``None``: the packaged default);
every problem is reported with the measure and key it concerns (``FrameworkError``).
"""

from forcestat.framework.expr import ExprError
from forcestat.framework.loader import (
    FrameworkError,
    default_path,
    load_framework,
    loads_framework,
)
from forcestat.framework.model import (
    COMPARATORS,
    KINDS,
    WINDOWS,
    Framework,
    Measure,
    Objective,
    PriorityArea,
    Settings,
    SpcSettings,
    Theme,
)

__all__ = [
    "COMPARATORS",
    "KINDS",
    "WINDOWS",
    "ExprError",
    "Framework",
    "FrameworkError",
    "Measure",
    "Objective",
    "PriorityArea",
    "Settings",
    "SpcSettings",
    "Theme",
    "default_path",
    "load_framework",
    "loads_framework",
]
