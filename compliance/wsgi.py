"""The WSGI entry point for production: `gunicorn -w 4 'compliance.wsgi:app'`.

The app is created once, then the start-up heap is frozen (`compliance.freeze_startup_heap`):
the garbage collector's full passes otherwise walk those ~275,000 long-lived objects and stall
whichever request triggers one for 130–220 ms, every few dozen requests (the district bench:
`/findings` as staff, 200 views, slowest 267 ms with a 220 ms generation-2 collection inside it;
44 ms with the heap frozen).
"""

from __future__ import annotations

from . import create_app, freeze_startup_heap

app = create_app()
freeze_startup_heap()
