"""The Celery app for ``celery -A exporter.queue.worker worker`` (settings from ``EXPORTER_*``).

    EXPORTER_BROKER_URL=redis://localhost:6379/0 EXPORTER_CONFIG=exporter.toml EXPORTER_OUT=/srv/packages \\
        celery -A exporter.queue.worker worker --pool prefork --concurrency 2 --hostname w1@%h

See docs/scaling.md for every variable.
"""

import logging

from .app import make_app

logging.getLogger("weasyprint").setLevel(logging.WARNING)  # its INFO lines (one per layout step) flood a worker log
app = make_app()
