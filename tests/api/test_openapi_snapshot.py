"""The API's contract: the OpenAPI document served at /api/v1/openapi.json must equal the committed snapshot, so a
change to any operation, parameter or field is seen in review, not by a client that breaks.

To accept a change on purpose, write the snapshot again and commit it with the change:

    UPDATE_API_SNAPSHOT=1 .venv/bin/python -m pytest tests/api/test_openapi_snapshot.py

Adding operations or optional fields is fine within version 1; removing or renaming anything, or making a field
required, breaks clients and belongs in a new version (/api/v2/).
"""

import difflib
import json
import os
from pathlib import Path

from qa_site.api.api import api

SNAPSHOT = Path(__file__).with_name("openapi_snapshot.json")
HOW_TO_UPDATE = "UPDATE_API_SNAPSHOT=1 .venv/bin/python -m pytest tests/api/test_openapi_snapshot.py"


def current_document():
    return json.dumps(api.get_openapi_schema(path_params={}), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_openapi_document_matches_the_snapshot():
    document = current_document()
    if os.environ.get("UPDATE_API_SNAPSHOT") == "1":
        SNAPSHOT.write_text(document, encoding="utf-8")
    committed = SNAPSHOT.read_text(encoding="utf-8") if SNAPSHOT.exists() else ""
    if document != committed:
        diff = "".join(
            list(difflib.unified_diff(committed.splitlines(True), document.splitlines(True), "snapshot", "now"))[:80]
        )
        raise AssertionError(
            "The API's OpenAPI document differs from tests/api/openapi_snapshot.json: clients may break.\n"
            f"If the change is meant, write the snapshot again with\n    {HOW_TO_UPDATE}\nand commit it with the "
            f"change (breaking changes need /api/v2/). The difference:\n{diff}"
        )


def test_served_document_is_the_snapshotted_one(client):
    served = client.get("/api/v1/openapi.json").json()
    assert json.dumps(served, indent=2, sort_keys=True, ensure_ascii=False) + "\n" == current_document()
