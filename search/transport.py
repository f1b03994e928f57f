"""An Elasticsearch HTTP node that sends plain JSON content types.

The official 8.x client asks for ``application/vnd.elasticsearch+json; compatible-with=8``. Elasticsearch
accepts plain ``application/json`` as well, and OpenSearch-compatible servers (such as the in-memory one
the tests run against) accept only that, so the project always sends the plain form.
"""

import re

from elastic_transport import Urllib3HttpNode

_COMPATIBLE = re.compile(r"application/vnd\.elasticsearch\+([\w-]+);\s*compatible-with=\d+")


def plain_content_type(value):
    return _COMPATIBLE.sub(r"application/\1", value) if isinstance(value, str) else value


class PlainJSONNode(Urllib3HttpNode):
    def perform_request(self, method, target, body=None, headers=None, **kwargs):
        if headers:
            headers = {name: plain_content_type(value) for name, value in dict(headers).items()}
        return super().perform_request(method, target, body=body, headers=headers, **kwargs)
