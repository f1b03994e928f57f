"""Signatures as the Standard Webhooks specification describes them, checked by an implementation written here
from the specification (not the product's signing code), and secret rotation."""

import base64
import datetime as dt
import hashlib
import hmac
import json
import time

from django.utils import timezone

from qa_site.webhooks import services
from qa_site.webhooks.models import Delivery, Endpoint


def verify(secret, headers, body):
    """The receiver's check, from the specification: the key is the base64-decoded secret after ``whsec_``; the signed
    content is ``{webhook-id}.{webhook-timestamp}.{body}``; ``webhook-signature`` is a space-separated list of
    ``v1,<base64 HMAC-SHA256>``, and one match is enough. Returns how many of the listed signatures match."""
    assert secret.startswith("whsec_")
    key = base64.b64decode(secret[len("whsec_") :])
    content = headers["webhook-id"].encode() + b"." + headers["webhook-timestamp"].encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest())
    matches = 0
    for entry in headers["webhook-signature"].split(" "):
        version, _, value = entry.partition(",")
        assert version == "v1"
        matches += hmac.compare_digest(value.encode(), expected)
    return matches


def test_the_specifications_own_example_is_signed_as_it_says():
    from qa_site.webhooks import signing

    # The example in the Standard Webhooks specification's test suite.
    secret, message_id, timestamp, body = (
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        '{"test": 2432232314}',
    )
    assert signing.signature(secret, message_id, timestamp, body) == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    headers = signing.headers([secret], message_id, timestamp, body)
    assert verify(secret, headers, body.encode()) == 1


def test_a_sent_message_verifies_with_the_endpoints_secret_and_nothing_else(
    receiver, make_endpoint, northshire, nadia, run_on_commit
):
    endpoint = make_endpoint(northshire, nadia)
    assert endpoint.secret.startswith("whsec_")
    assert len(base64.b64decode(endpoint.secret[6:])) == 32
    before = int(time.time())
    with run_on_commit():
        services.endpoint_send_test(endpoint_id=endpoint.pk, actor=nadia)
    [request] = receiver.requests
    headers, body = request["headers"], request["body"]
    assert verify(endpoint.secret, headers, body) == 1
    assert verify(services.signing.new_secret(), headers, body) == 0
    assert verify(endpoint.secret, headers, body + b" ") == 0  # a changed body fails
    assert headers["webhook-id"] == Delivery.objects.get().message_id
    assert headers["webhook-id"].startswith("msg_")
    assert before <= int(headers["webhook-timestamp"]) <= int(time.time())
    assert headers["content-type"] == "application/json"
    assert request["path"] == "/hooks/ask"
    payload = json.loads(body)
    assert payload["type"] == "webhook.test"
    assert payload["data"] == {
        "endpoint": {"id": endpoint.pk, "url": endpoint.url},
        "network": {"slug": "northshire", "name": "Northshire RCC"},
    }
    assert dt.datetime.fromisoformat(payload["timestamp"]) <= timezone.now()


def test_after_rotation_both_secrets_sign_for_a_day_then_only_the_new_one(
    receiver, make_endpoint, northshire, nadia, run_on_commit
):
    endpoint = make_endpoint(northshire, nadia)
    old = endpoint.secret
    rotated = services.endpoint_rotate_secret(endpoint_id=endpoint.pk, actor=nadia)
    new = rotated.secret
    assert new != old
    assert new.startswith("whsec_")
    assert rotated.previous_secret == old
    assert abs(rotated.previous_secret_expires_at - (timezone.now() + dt.timedelta(hours=24))) < dt.timedelta(minutes=1)
    with run_on_commit():
        services.endpoint_send_test(endpoint_id=endpoint.pk, actor=nadia)
    headers, body = receiver.requests[-1]["headers"], receiver.requests[-1]["body"]
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert (verify(new, headers, body), verify(old, headers, body)) == (1, 1)

    # A day later, the old secret no longer signs.
    Endpoint.objects.filter(pk=endpoint.pk).update(previous_secret_expires_at=timezone.now() - dt.timedelta(seconds=1))
    with run_on_commit():
        services.endpoint_send_test(endpoint_id=endpoint.pk, actor=nadia)
    headers, body = receiver.requests[-1]["headers"], receiver.requests[-1]["body"]
    assert len(headers["webhook-signature"].split(" ")) == 1
    assert (verify(new, headers, body), verify(old, headers, body)) == (1, 0)


def test_rotating_twice_in_a_day_keeps_only_the_one_just_replaced(make_endpoint, northshire, nadia):
    endpoint = make_endpoint(northshire, nadia)
    first = endpoint.secret
    second = services.endpoint_rotate_secret(endpoint_id=endpoint.pk, actor=nadia).secret
    third = services.endpoint_rotate_secret(endpoint_id=endpoint.pk, actor=nadia)
    assert third.signing_secrets(timezone.now()) == [third.secret, second]
    assert first not in third.signing_secrets(timezone.now())
