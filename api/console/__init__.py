"""The staff console's charts, drawn on the server as SVG so the console needs no charting
library: `charts` draws (pure), `console_metrics` turns the metrics panel's figures
(`orchestrator.persistence.metrics`) into those charts, `customer_panel` makes the panel of
one customer from its rows. The console's page is
`api/routes/pages.py` with `api/static/console.*`; its REST routes are `api/routes/staff.py`.
"""

from api.console.charts import bar_chart, line_chart
from api.console.console_metrics import CHARTS, chart

__all__ = ["CHARTS", "bar_chart", "chart", "line_chart"]
