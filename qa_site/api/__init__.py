"""The JSON API, version 1 (``/api/v1/``), and the personal tokens that open it (see docs/api.md)."""
