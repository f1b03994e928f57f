"""Uploaded files on S3-compatible storage (qa_site/settings/storage.py).

Reading the environment, then uploads end to end through the product against moto's S3 server run as a
separate process: nothing of boto3, django-storages or Wagtail is mocked.
"""

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PILImage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, CollectionViewRestriction

from experts.models import ExpertProfile
from qa_site.settings.storage import PUBLIC_IMAGES_STORAGE, media_settings
from tests.factories import UserFactory, image_bytes
from tests.manage_cli import manage
from tests.qa_site.test_settings import PRODUCTION_ENV

ROOT = Path(__file__).resolve().parents[2]
MOTO_SERVER = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or shutil.which("moto_server")
needs_moto = pytest.mark.skipif(
    MOTO_SERVER is None,
    reason="moto_server (pip install 'moto[server]') is not installed: no S3 server to test against",
)
START_TIMEOUT = 30  # seconds; the machine may be busy
STORAGE_VARIABLES = [
    "MEDIA_STORAGE_URL",
    "MEDIA_PUBLIC_IMAGES",
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_LOCATION",
    "AWS_S3_ENDPOINT_URL",
    "AWS_S3_REGION_NAME",
    "AWS_S3_ADDRESSING_STYLE",
    "AWS_S3_CUSTOM_DOMAIN",
]
PRIVATE = {"file_overwrite": False, "default_acl": None, "querystring_auth": True, "querystring_expire": 600}
S3 = "storages.backends.s3.S3Storage"
SETTINGS_PAGE = "/experts/settings/"


@pytest.fixture
def env(monkeypatch):
    """A clean slate of storage variables; returns a function that sets some."""
    for name in [*STORAGE_VARIABLES, "AWS_REGION", "AWS_DEFAULT_REGION"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)  # nobody's ~/.aws/config changes how addresses look

    def setenv(**values):
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return setenv


# --- Reading the environment ----------------------------------------------------------------------------------


def test_unset_keeps_uploads_in_the_local_media_folder(env):
    assert media_settings() == {"STORAGES": {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}}


@pytest.mark.parametrize(
    ("variables", "options", "media_url"),
    [
        (
            {"MEDIA_STORAGE_URL": "s3://qa-media"},
            {"bucket_name": "qa-media", "location": ""},
            "https://qa-media.s3.amazonaws.com/",
        ),
        (
            {"MEDIA_STORAGE_URL": "s3://qa.media/uploads?region=eu-west-2"},
            {"bucket_name": "qa.media", "location": "uploads", "region_name": "eu-west-2"},
            "https://s3.eu-west-2.amazonaws.com/qa.media/uploads/",  # a dotted name cannot be a TLS host name
        ),
        (
            {
                "MEDIA_STORAGE_URL": "s3://qa-media/site/uploads/?endpoint_url=https://minio.example.org:9000"
                "&region=eu-west-2&addressing_style=path"
            },
            {
                "bucket_name": "qa-media",
                "location": "site/uploads",
                "endpoint_url": "https://minio.example.org:9000",
                "region_name": "eu-west-2",
                "addressing_style": "path",
            },
            "https://minio.example.org:9000/qa-media/site/uploads/",
        ),
        (
            {"MEDIA_STORAGE_URL": "s3://AKIAEXAMPLE:se%2Fcr%3Aet%40x@qa-media/uploads"},
            {"bucket_name": "qa-media", "location": "uploads", "access_key": "AKIAEXAMPLE", "secret_key": "se/cr:et@x"},
            "https://qa-media.s3.amazonaws.com/uploads/",
        ),
        (
            {
                "AWS_STORAGE_BUCKET_NAME": "qa-media",
                "AWS_LOCATION": "/uploads/",
                "AWS_S3_ENDPOINT_URL": "https://abc123.r2.cloudflarestorage.com",
                "AWS_S3_REGION_NAME": "auto",
            },
            {
                "bucket_name": "qa-media",
                "location": "uploads",
                "endpoint_url": "https://abc123.r2.cloudflarestorage.com",
                "region_name": "auto",
            },
            "https://abc123.r2.cloudflarestorage.com/qa-media/uploads/",
        ),
        (
            {"AWS_STORAGE_BUCKET_NAME": "qa-media"},
            {"bucket_name": "qa-media", "location": ""},
            "https://qa-media.s3.amazonaws.com/",
        ),
    ],
)
def test_s3_settings_give_a_private_bucket_with_signed_urls(env, variables, options, media_url):
    env(**variables)
    assert media_settings() == {
        "STORAGES": {"default": {"BACKEND": S3, "OPTIONS": {**options, **PRIVATE}}},
        "WAGTAILDOCS_SERVE_METHOD": "redirect",
        "MEDIA_URL": media_url,  # where the bucket's files are linked from, for the Content-Security-Policy
    }


@pytest.mark.parametrize(
    "variables",
    [
        {"MEDIA_STORAGE_URL": "s3://qa-media/uploads?custom_domain=media.example.org", "MEDIA_PUBLIC_IMAGES": "true"},
        {
            "AWS_STORAGE_BUCKET_NAME": "qa-media",
            "AWS_LOCATION": "uploads",
            "AWS_S3_CUSTOM_DOMAIN": "media.example.org",
            "MEDIA_PUBLIC_IMAGES": "yes",
        },
    ],
)
def test_public_images_get_their_own_unsigned_storage_and_the_custom_domain(env, variables):
    env(**variables)
    private = {"bucket_name": "qa-media", "location": "uploads", **PRIVATE}
    assert media_settings() == {
        "STORAGES": {
            "default": {"BACKEND": S3, "OPTIONS": private},
            PUBLIC_IMAGES_STORAGE: {
                "BACKEND": S3,
                "OPTIONS": {
                    **private,
                    "querystring_auth": False,
                    "custom_domain": "media.example.org",
                    "object_parameters": {"CacheControl": "public, max-age=86400"},
                },
            },
        },
        "WAGTAILDOCS_SERVE_METHOD": "redirect",
        "WAGTAILIMAGES_RENDITION_STORAGE": PUBLIC_IMAGES_STORAGE,
        "MEDIA_URL": "https://media.example.org/uploads/",  # pages show renditions only
    }


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"MEDIA_STORAGE_URL": "https://qa-media.s3.amazonaws.com"}, "MEDIA_STORAGE_URL must start with s3://"),
        ({"MEDIA_STORAGE_URL": "s3://"}, "MEDIA_STORAGE_URL='s3://' names no bucket"),
        ({"MEDIA_STORAGE_URL": "s3:///uploads"}, "names no bucket"),
        ({"MEDIA_STORAGE_URL": "s3://q"}, "MEDIA_STORAGE_URL: 'q' is not a bucket name"),
        ({"MEDIA_STORAGE_URL": "s3://qa_media"}, "'qa_media' is not a bucket name"),
        ({"MEDIA_STORAGE_URL": "s3://qa-media?endpoint=http://x"}, "MEDIA_STORAGE_URL: unknown parameter 'endpoint'"),
        ({"MEDIA_STORAGE_URL": "s3://qa-media?region="}, r"MEDIA_STORAGE_URL \(region\) is empty"),
        ({"MEDIA_STORAGE_URL": "s3://qa-media?region=a&region=b"}, "MEDIA_STORAGE_URL: region is given twice"),
        (
            {"MEDIA_STORAGE_URL": "s3://qa-media?endpoint_url=minio:9000"},
            r"MEDIA_STORAGE_URL \(endpoint_url\) must be an http:// or https:// address",
        ),
        (
            {"MEDIA_STORAGE_URL": "s3://qa-media?addressing_style=sideways"},
            r"MEDIA_STORAGE_URL \(addressing_style\) must be one of auto, path, virtual",
        ),
        (
            {"MEDIA_STORAGE_URL": "s3://qa-media?custom_domain=https://cdn.example.org", "MEDIA_PUBLIC_IMAGES": "1"},
            r"MEDIA_STORAGE_URL \(custom_domain\) is a host name",
        ),
        ({"MEDIA_STORAGE_URL": "s3://AKIAEXAMPLE@qa-media"}, "MEDIA_STORAGE_URL: credentials must be given as"),
        (
            {"MEDIA_STORAGE_URL": "s3://qa-media", "AWS_STORAGE_BUCKET_NAME": "qa-media"},
            "Both MEDIA_STORAGE_URL and AWS_STORAGE_BUCKET_NAME are set",
        ),
        (
            {"AWS_S3_ENDPOINT_URL": "https://minio.example.org"},
            "AWS_S3_ENDPOINT_URL set without AWS_STORAGE_BUCKET_NAME",
        ),
        (
            {"AWS_STORAGE_BUCKET_NAME": "qa-media", "AWS_S3_ENDPOINT_URL": "minio.example.org"},
            "AWS_S3_ENDPOINT_URL must be an http:// or https:// address",
        ),
        ({"AWS_STORAGE_BUCKET_NAME": "qa media"}, "AWS_STORAGE_BUCKET_NAME: 'qa media' is not a bucket name"),
        (
            {"MEDIA_STORAGE_URL": "s3://qa-media?custom_domain=media.example.org"},
            r"MEDIA_STORAGE_URL \(custom_domain\) is set, but a custom domain links files unsigned",
        ),
        (
            {"AWS_STORAGE_BUCKET_NAME": "qa-media", "AWS_S3_CUSTOM_DOMAIN": "media.example.org"},
            "AWS_S3_CUSTOM_DOMAIN is set, but a custom domain links files unsigned",
        ),
        ({"MEDIA_PUBLIC_IMAGES": "true"}, "MEDIA_PUBLIC_IMAGES applies to S3 storage only"),
        ({"MEDIA_STORAGE_URL": "s3://qa-media", "MEDIA_PUBLIC_IMAGES": "maybe"}, "MEDIA_PUBLIC_IMAGES='maybe'"),
    ],
)
def test_bad_storage_settings_stop_start_up_naming_the_variable(env, variables, message):
    env(**variables)
    with pytest.raises(ImproperlyConfigured, match=message):
        media_settings()


@pytest.mark.parametrize(
    "url",
    [
        "s3://AKIAEXAMPLE:topsecret@qa-media?nope=1",
        "s3://AKIAEXAMPLE:top/secret@qa-media",  # a "/" left unencoded splits the secret
        "s3://AKIAEXAMPLE:topsecret@q",
    ],
)
def test_errors_never_repeat_the_secret(env, url):
    env(MEDIA_STORAGE_URL=url)
    with pytest.raises(ImproperlyConfigured, match="MEDIA_STORAGE_URL") as caught:
        media_settings()
    assert "secret" not in str(caught.value).replace("<secret>", "").replace("the secret", "")


# --- moto's S3 server -----------------------------------------------------------------------------------------


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(endpoint):
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2):
            return True
    except urllib.error.HTTPError as error:  # any HTTP answer means the server is up
        error.close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    """moto_server on a free port, for the whole run; its address."""
    if MOTO_SERVER is None:
        pytest.skip("moto_server is not installed")
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("moto") / "moto_server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [MOTO_SERVER, "-H", "127.0.0.1", "-p", str(port)], stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(endpoint):
            if process.poll() is not None:
                pytest.fail(
                    f"moto_server exited ({process.returncode}) before answering on {endpoint}:\n{log.read_text()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"moto_server did not answer on {endpoint} within {START_TIMEOUT} s:\n{log.read_text()}")
            time.sleep(0.2)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def s3(s3_endpoint):
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    yield client
    client.close()


@pytest.fixture
def bucket(s3):
    name = f"qa-media-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _use_s3(settings, env, s3_endpoint, bucket, **variables):
    """Point the running site at the bucket, with the settings storage.py builds from MEDIA_STORAGE_URL."""
    env(
        MEDIA_STORAGE_URL=f"s3://testing:testing@{bucket}/uploads?endpoint_url={s3_endpoint}&region=us-east-1",
        **variables,
    )
    chosen = media_settings()
    # Assigning STORAGES sends setting_changed; Django's own receiver empties the storages cache and
    # default_storage, so every file field from here on writes to the bucket (and back after the test).
    settings.STORAGES = {**chosen.pop("STORAGES"), "staticfiles": settings.STORAGES["staticfiles"]}
    for name, value in chosen.items():
        setattr(settings, name, value)
    assert default_storage.bucket_name == bucket


@pytest.fixture
def s3_media(settings, env, s3_endpoint, bucket, media_root):
    _use_s3(settings, env, s3_endpoint, bucket)


@pytest.fixture
def s3_media_public_images(settings, env, s3_endpoint, bucket, media_root, s3, monkeypatch):
    """Renditions through the public storage, their prefix readable by anyone (a bucket policy, as in the docs)."""
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{bucket}/uploads/images/*",
                    }
                ],
            }
        ),
    )
    _use_s3(settings, env, s3_endpoint, bucket, MEDIA_PUBLIC_IMAGES="true")
    # Wagtail binds the rendition field to WAGTAILIMAGES_RENDITION_STORAGE once, when its models load; the
    # production process does so at start (test_production_settings_start_with_media_on_s3). Here the models
    # loaded with test settings, so bind it the way Wagtail would have.
    field = get_image_model().get_rendition_model()._meta.get_field("file")
    monkeypatch.setattr(field, "storage", storages[PUBLIC_IMAGES_STORAGE])


def _keys(s3, bucket):
    return sorted(item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def _object(s3, bucket, key):
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def _fetch(url):
    """(status, body) of a plain GET, as a browser would make it."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


def _local_files(root):
    return [path for path in Path(root).rglob("*") if path.is_file()] if Path(root).exists() else []


def _upload_photo(client, expert, topic, name="me.png"):
    client.force_login(expert)
    data = {
        "topics": [topic.pk],
        "max_open_questions": "3",
        "accepting_new": "on",
        "headline": "Charity solicitor, 20 years in the sector",
        "photo": SimpleUploadedFile(name, image_bytes(size=(300, 200)), content_type="image/png"),
    }
    response = client.post(SETTINGS_PAGE, data)
    assert (response.status_code, response["Location"]) == (302, SETTINGS_PAGE)
    return ExpertProfile.objects.select_related("photo").get(user=expert)


def _portrait_src(client, profile, media_url):
    """The profile photo's address, checked to be one the page's Content-Security-Policy lets browsers load."""
    page = client.get(f"/experts/{profile.slug}/")
    assert page.status_code == 200
    src = BeautifulSoup(page.content, "html.parser").select_one("img.portrait")["src"]
    assert src.startswith(media_url)
    directives = {words[0]: words[1:] for words in map(str.split, page["Content-Security-Policy"].split(";")) if words}
    assert media_url in directives["img-src"]
    return src


# --- End to end through the product ---------------------------------------------------------------------------


@needs_moto
def test_an_experts_photo_goes_to_the_bucket_and_the_profile_shows_it_from_there(
    client, settings, erin, topic, s3_media, s3, s3_endpoint, bucket, media_root
):
    profile = _upload_photo(client, erin, topic)

    assert profile.photo.file.name == "original_images/me.png"
    assert _keys(s3, bucket) == ["uploads/original_images/me.png"]
    assert _local_files(media_root) == []

    src = _portrait_src(client, profile, settings.MEDIA_URL)
    url = urlsplit(src)
    assert f"{url.scheme}://{url.netloc}" == s3_endpoint
    assert url.path.startswith(f"/{bucket}/uploads/images/me.")
    assert url.path.endswith(".fill-160x160.png")
    assert "Signature=" in url.query  # the bucket is private: the page carries a signed, expiring address
    rendition_key = url.path.removeprefix(f"/{bucket}/")
    assert _keys(s3, bucket) == sorted(["uploads/original_images/me.png", rendition_key])
    assert _local_files(media_root) == []

    status, body = _fetch(src)
    assert status == 200
    assert body == _object(s3, bucket, rendition_key)
    with PILImage.open(io.BytesIO(body)) as picture:
        assert (picture.format, picture.size) == ("PNG", (160, 160))
    # Without the signature the bucket refuses it.
    assert _fetch(f"{s3_endpoint}{url.path}")[0] == 403


@needs_moto
def test_replacing_the_photo_deletes_the_old_one_from_the_bucket(
    client, erin, topic, s3_media, s3, bucket, django_capture_on_commit_callbacks
):
    _upload_photo(client, erin, topic, name="first.png")
    with django_capture_on_commit_callbacks(execute=True):  # Wagtail deletes an image's file after commit
        _upload_photo(client, erin, topic, name="second.png")
    assert _keys(s3, bucket) == ["uploads/original_images/second.png"]


@needs_moto
def test_two_uploads_with_the_same_name_never_overwrite_each_other(s3_media, s3, bucket):
    first = default_storage.save("original_images/photo.jpg", ContentFile(b"first"))
    second = default_storage.save("original_images/photo.jpg", ContentFile(b"second"))
    assert first == "original_images/photo.jpg"
    assert second.startswith("original_images/photo_")
    assert second.endswith(".jpg")
    assert _object(s3, bucket, f"uploads/{first}") == b"first"
    assert _object(s3, bucket, f"uploads/{second}") == b"second"


@needs_moto
def test_public_images_are_linked_unsigned_while_originals_stay_private(
    client, settings, erin, topic, s3_media_public_images, s3, s3_endpoint, bucket, media_root
):
    profile = _upload_photo(client, erin, topic)

    src = _portrait_src(client, profile, settings.MEDIA_URL)
    url = urlsplit(src)
    assert (f"{url.scheme}://{url.netloc}", url.query) == (s3_endpoint, "")
    assert url.path.startswith(f"/{bucket}/uploads/images/me.")
    status, body = _fetch(src)
    assert status == 200
    assert body == _object(s3, bucket, url.path.removeprefix(f"/{bucket}/"))
    head = s3.head_object(Bucket=bucket, Key=url.path.removeprefix(f"/{bucket}/"))
    assert head["CacheControl"] == "public, max-age=86400"
    # The original is not under images/: only a signed address opens it.
    assert _fetch(f"{s3_endpoint}/{bucket}/uploads/original_images/me.png")[0] == 403
    assert _fetch(profile.photo.file.url)[0] == 200
    assert _local_files(media_root) == []


@pytest.fixture
def editor(db):
    return UserFactory(email="edith@example.test", first_name="Edith", is_staff=True, is_superuser=True)


def _upload_document(client, editor, collection, name="guide.txt", content=b"How to run a charity AGM.\n"):
    client.force_login(editor)
    response = client.post(
        "/admin/documents/add/",
        {
            "title": "AGM guide",
            "file": SimpleUploadedFile(name, content, content_type="text/plain"),
            "collection": collection.pk,
        },
    )
    assert response.status_code == 302, response.content[:2000]
    client.logout()
    return get_document_model().objects.get(title="AGM guide")


@needs_moto
def test_a_document_uploaded_in_the_admin_is_stored_in_the_bucket_and_served_by_redirect(
    client, editor, s3_media, s3, s3_endpoint, bucket, media_root
):
    document = _upload_document(client, editor, Collection.get_first_root_node())

    assert _keys(s3, bucket) == ["uploads/documents/guide.txt"]
    assert _local_files(media_root) == []

    response = client.get(document.url)
    assert document.url == f"/documents/{document.pk}/guide.txt"  # links go through Wagtail's view
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert (f"{target.scheme}://{target.netloc}", target.path) == (
        s3_endpoint,
        f"/{bucket}/uploads/documents/guide.txt",
    )
    assert "Signature=" in target.query
    assert _fetch(response["Location"]) == (200, b"How to run a charity AGM.\n")


@needs_moto
def test_a_restricted_document_is_only_redirected_to_the_bucket_for_those_allowed(
    client, editor, nobody, s3_media, s3_endpoint, bucket
):
    private = Collection.get_first_root_node().add_child(name="Trustees only")
    CollectionViewRestriction.objects.create(collection=private, restriction_type=CollectionViewRestriction.LOGIN)
    document = _upload_document(client, editor, private)

    anonymous = client.get(document.url)
    assert anonymous.status_code == 302
    assert urlsplit(anonymous["Location"])[:3] == ("", "", reverse("wagtailcore_login"))  # not the bucket
    assert _fetch(f"{s3_endpoint}/{bucket}/uploads/documents/guide.txt")[0] == 403  # guessing the address fails

    client.force_login(nobody)
    allowed = client.get(document.url)
    assert allowed.status_code == 302
    assert allowed["Location"].startswith(f"{s3_endpoint}/{bucket}/uploads/documents/guide.txt?")
    assert _fetch(allowed["Location"]) == (200, b"How to run a charity AGM.\n")


# --- Production start-up --------------------------------------------------------------------------------------


# What production requires (tests/qa_site/test_settings.py keeps the list; these fill in any it lacks).
PRODUCTION = {"REDIS_URL": "redis://127.0.0.1:6379/15", "EMAIL_URL": "console://", **PRODUCTION_ENV}
PRODUCTION_ON_S3 = {
    **PRODUCTION,
    "MEDIA_STORAGE_URL": "s3://qa-media/uploads?region=eu-west-2&custom_domain=media.example.org",
    "MEDIA_PUBLIC_IMAGES": "true",
    "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "example-secret",
}
# Printed by the production process: what its storages are once Wagtail's models have loaded.
SHOW_STORAGES = """
import json
from django.conf import settings
from django.core.files.storage import default_storage
from wagtail.images import get_image_model
renditions = get_image_model().get_rendition_model()._meta.get_field("file").storage
print("STORAGES=" + json.dumps({
    "default": [default_storage.__class__.__name__, default_storage.bucket_name, default_storage.location,
                default_storage.querystring_auth],
    "renditions": [renditions.bucket_name, renditions.querystring_auth, renditions.custom_domain],
    "staticfiles": settings.STORAGES["staticfiles"]["BACKEND"],
    "documents": settings.WAGTAILDOCS_SERVE_METHOD,
    "media_url": settings.MEDIA_URL,
}))
"""


def _manage(*args, env):
    return manage(*args, env=env, forget=(*PRODUCTION, *STORAGE_VARIABLES))


def test_production_settings_start_with_media_on_s3():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ON_S3)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout

    shown = _manage("shell", "-c", SHOW_STORAGES, env=PRODUCTION_ON_S3)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    line = next(line for line in shown.stdout.splitlines() if line.startswith("STORAGES="))
    assert json.loads(line.removeprefix("STORAGES=")) == {
        "default": ["S3Storage", "qa-media", "uploads", True],
        "renditions": ["qa-media", False, "media.example.org"],
        "staticfiles": "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "documents": "redirect",
        "media_url": "https://media.example.org/uploads/",
    }


def test_production_refuses_to_start_with_a_bad_media_storage_url():
    result = _manage("check", env={**PRODUCTION, "MEDIA_STORAGE_URL": "s4://qa-media"})
    assert result.returncode != 0
    assert "MEDIA_STORAGE_URL must start with s3://; got 's4://qa-media'" in result.stderr
