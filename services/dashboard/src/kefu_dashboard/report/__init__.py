"""The monthly complaint report (投诉月报) of the dashboard service.

``build.build_report`` computes it (pure), ``render_csv`` / ``render_html`` / ``charts`` render it,
``api.make_router`` serves it. Only the pure parts are imported here: matplotlib and FastAPI load
when a renderer or the router is imported.
"""

from .build import DIMENSIONS, Figure, MajorComplaint, MonthlyReport, build_report
from .months import Month, MonthError

__all__ = ["DIMENSIONS", "Figure", "MajorComplaint", "Month", "MonthError", "MonthlyReport", "build_report"]
