"""Where uploaded files live: this machine's MEDIA_ROOT, or an S3-compatible bucket every web machine shares.

Uploads are Wagtail images (expert photos among them; their renditions, the resized copies pages show) and
Wagtail documents. ``media_settings()`` reads the environment and returns the settings to apply:

- nothing set (the embedded default, dev, tests): ``FileSystemStorage`` under ``MEDIA_ROOT``;
- ``MEDIA_STORAGE_URL=s3://[key:secret@]<bucket>[/<prefix>][?endpoint_url=…&region=…&addressing_style=…
  &custom_domain=…]``, or django-storages' own names: ``AWS_STORAGE_BUCKET_NAME`` with ``AWS_LOCATION``,
  ``AWS_S3_ENDPOINT_URL``, ``AWS_S3_REGION_NAME``, ``AWS_S3_ADDRESSING_STYLE``, ``AWS_S3_CUSTOM_DOMAIN``.
  Credentials come from the URL or, as boto3 reads them itself, ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``
  (or an instance role).

Public or private. The bucket stays private and every URL is signed and short-lived, unless
``MEDIA_PUBLIC_IMAGES=true``:

- Documents must stay private: Wagtail lets coordinators restrict a collection's documents (log-in or
  password). Documents are served with ``WAGTAILDOCS_SERVE_METHOD = "redirect"``: the request goes through
  Wagtail's view, which checks those restrictions, then redirects to a signed URL that expires after
  ``SIGNED_URL_SECONDS``. Nothing is streamed through Python, and a URL passed on stops working soon after.
  ("direct" would skip the check; "serve_view" would stream every download through a web worker.)
- Original images stay private too: Wagtail images have no privacy settings, but pages only ever show
  renditions, so nothing needs an original's address.
- Renditions (expert photos on the public panel and profiles, images in answers) are what visitors see.
  Signed, they work with any bucket and no bucket policy, but every page view mints new addresses, so
  browsers and CDNs cannot cache them. With ``MEDIA_PUBLIC_IMAGES=true`` they are written through a second
  storage (``WAGTAILIMAGES_RENDITION_STORAGE``) that links them unsigned, optionally through a CDN
  (``custom_domain``); the operator then makes ``<prefix>/images/*`` publicly readable (a bucket policy) and
  nothing else. A public custom domain only makes sense for those, so it requires ``MEDIA_PUBLIC_IMAGES``.

``MEDIA_URL`` becomes the address files are linked from (the bucket, or the custom domain), so that
qa_site/content_security.py lets pages load images from there.

``file_overwrite`` is off: a second ``photo.jpg`` gets a new name instead of replacing the first. No ACL is
ever sent (new AWS buckets have ACLs disabled; R2 and B2 have no object ACLs): access is the bucket's policy.

Settings import no app, so this module reads the environment and returns plain dicts.
"""

import os
import re
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_str

S3_BACKEND = "storages.backends.s3.S3Storage"
LOCAL_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
PUBLIC_IMAGES_STORAGE = "public_images"  # the STORAGES alias renditions use with MEDIA_PUBLIC_IMAGES
# Signed URLs are minted when a page is rendered or a document's view redirects: ten minutes is plenty for
# a browser to follow them, and short for a link someone copies out of a restricted document's redirect.
SIGNED_URL_SECONDS = 600
PUBLIC_IMAGES_CACHE_CONTROL = "public, max-age=86400"

# MEDIA_STORAGE_URL query parameters -> S3Storage options.
_URL_OPTIONS = {
    "endpoint_url": "endpoint_url",
    "region": "region_name",
    "addressing_style": "addressing_style",
    "custom_domain": "custom_domain",
}
# django-storages' own setting names, read from the environment -> S3Storage options.
_AWS_VARIABLES = {
    "AWS_STORAGE_BUCKET_NAME": "bucket_name",
    "AWS_LOCATION": "location",
    "AWS_S3_ENDPOINT_URL": "endpoint_url",
    "AWS_S3_REGION_NAME": "region_name",
    "AWS_S3_ADDRESSING_STYLE": "addressing_style",
    "AWS_S3_CUSTOM_DOMAIN": "custom_domain",
}
_ADDRESSING_STYLES = ("auto", "path", "virtual")
_DOMAIN = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]+)?(/[A-Za-z0-9._~\-/]*)?$")  # host[:port][/path]
# What S3, R2, B2 and MinIO accept between them; upper case only B2 (its own names) allows.
_BUCKET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{1,61}[A-Za-z0-9]$")


def media_settings():
    """Settings for uploaded files: ``{"STORAGES": {"default": …}}``; on S3 also ``MEDIA_URL`` (the bucket's
    address, which the Content-Security-Policy allows images from) and Wagtail's settings."""
    options, source = _s3_options()
    public_images = env_bool("MEDIA_PUBLIC_IMAGES", False)
    if options is None:
        if public_images:
            raise ImproperlyConfigured(
                "MEDIA_PUBLIC_IMAGES applies to S3 storage only: set MEDIA_STORAGE_URL (or AWS_STORAGE_BUCKET_NAME)."
            )
        return {"STORAGES": {"default": dict(LOCAL_STORAGE)}}

    custom_domain = options.pop("custom_domain", None)
    if custom_domain and not public_images:
        variable = "MEDIA_STORAGE_URL (custom_domain)" if source == "MEDIA_STORAGE_URL" else "AWS_S3_CUSTOM_DOMAIN"
        raise ImproperlyConfigured(
            f"{variable} is set, but a custom domain links files unsigned, which would bypass Wagtail's document "
            "privacy. It serves image renditions only: set MEDIA_PUBLIC_IMAGES=true as well (and make "
            "<prefix>/images/ publicly readable), or drop the custom domain."
        )
    private = {
        **options,
        "file_overwrite": False,
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": SIGNED_URL_SECONDS,
    }
    result = {
        "STORAGES": {"default": {"BACKEND": S3_BACKEND, "OPTIONS": private}},
        "WAGTAILDOCS_SERVE_METHOD": "redirect",
        # django-storages ignores MEDIA_URL; the Content-Security-Policy reads it to allow images from the bucket.
        "MEDIA_URL": _bucket_url(options),
    }
    if public_images:
        public = {
            **private,
            "querystring_auth": False,
            "object_parameters": {"CacheControl": PUBLIC_IMAGES_CACHE_CONTROL},
        }
        if custom_domain:
            public["custom_domain"] = custom_domain
            # Pages show renditions only, so that is where their images come from.
            prefix = f"{options['location']}/" if options["location"] else ""
            result["MEDIA_URL"] = f"https://{custom_domain}/{prefix}"
        result["STORAGES"][PUBLIC_IMAGES_STORAGE] = {"BACKEND": S3_BACKEND, "OPTIONS": public}
        result["WAGTAILIMAGES_RENDITION_STORAGE"] = PUBLIC_IMAGES_STORAGE
    return result


def _s3_options():
    """(S3Storage options without the fixed ones, the variable they came from), or (None, None) for local files."""
    url = env_str("MEDIA_STORAGE_URL", None)
    aws = {name: os.environ[name] for name in _AWS_VARIABLES if os.environ.get(name)}
    if url is not None and aws:
        raise ImproperlyConfigured(
            f"Both MEDIA_STORAGE_URL and {', '.join(sorted(aws))} are set: configure media storage one way only."
        )
    if url is not None:
        return _options_from_url(url), "MEDIA_STORAGE_URL"
    if aws:
        if "AWS_STORAGE_BUCKET_NAME" not in aws:
            raise ImproperlyConfigured(
                f"{', '.join(sorted(aws))} set without AWS_STORAGE_BUCKET_NAME: name the bucket for uploaded files."
            )
        options = {_AWS_VARIABLES[name]: value.strip() for name, value in aws.items()}
        _check_bucket("AWS_STORAGE_BUCKET_NAME", options["bucket_name"])
        options["location"] = options.get("location", "").strip("/")
        for name, option in _AWS_VARIABLES.items():
            if option in options and option not in ("bucket_name", "location"):
                _check_option(name, option, options[option])
        return options, "AWS_STORAGE_BUCKET_NAME"
    return None, None


def _options_from_url(raw):
    name = "MEDIA_STORAGE_URL"
    parts = urlsplit(raw)
    shown = _redacted(raw)
    if parts.scheme != "s3":
        raise ImproperlyConfigured(f"{name} must start with s3://; got {shown!r}.")
    credentials, _, bucket = parts.netloc.rpartition("@")
    if not bucket:
        raise ImproperlyConfigured(f"{name}={shown!r} names no bucket; use s3://<bucket>[/<prefix>].")
    if ":" in bucket:  # most likely a secret holding "/" that was not percent-encoded: never echo it
        raise ImproperlyConfigured(
            f"{name} does not read as s3://[<key>:<secret>@]<bucket>[/<prefix>]: percent-encode "
            "'/', ':' and '@' in the secret (%2F, %3A, %40)."
        )
    _check_bucket(name, bucket)
    options = {"bucket_name": bucket, "location": parts.path.strip("/")}

    if credentials:
        key, colon, secret = credentials.partition(":")
        if not (key and colon and secret):
            raise ImproperlyConfigured(f"{name}: credentials must be given as s3://<key>:<secret>@<bucket>.")
        options["access_key"], options["secret_key"] = unquote(key), unquote(secret)

    seen = set()
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key not in _URL_OPTIONS:
            raise ImproperlyConfigured(
                f"{name}: unknown parameter {key!r}; use {', '.join(sorted(_URL_OPTIONS))}. Got {shown!r}."
            )
        if key in seen:
            raise ImproperlyConfigured(f"{name}: {key} is given twice.")
        seen.add(key)
        _check_option(f"{name} ({key})", _URL_OPTIONS[key], value)
        options[_URL_OPTIONS[key]] = value.strip()
    return options


def _bucket_url(options):
    """The address django-storages will link files from (``https://<bucket>.s3.amazonaws.com/<prefix>/``,
    ``<endpoint>/<bucket>/<prefix>/``…), as botocore forms it for these options: no request is made."""
    import botocore.session  # here, not at the top: only S3 deployments need it
    from botocore import UNSIGNED
    from botocore.config import Config

    client = botocore.session.get_session().create_client(
        "s3",
        region_name=options.get("region_name"),
        endpoint_url=options.get("endpoint_url"),
        config=Config(signature_version=UNSIGNED, s3={"addressing_style": options.get("addressing_style")}),
    )
    try:
        marker = "-qa-media-url-"
        key = f"{options['location']}/{marker}" if options["location"] else marker
        url = client.generate_presigned_url("get_object", Params={"Bucket": options["bucket_name"], "Key": key})
    finally:
        client.close()
    return url.split("?", 1)[0].removesuffix(marker)


def _check_bucket(name, bucket):
    if not _BUCKET.match(bucket):
        raise ImproperlyConfigured(f"{name}: {bucket!r} is not a bucket name (3-63 letters, digits, dots, hyphens).")


def _check_option(name, option, value):
    value = value.strip()
    if not value:
        raise ImproperlyConfigured(f"{name} is empty.")
    if option == "endpoint_url":
        endpoint = urlsplit(value)
        if endpoint.scheme not in ("http", "https") or not endpoint.hostname:
            raise ImproperlyConfigured(f"{name} must be an http:// or https:// address with a host; got {value!r}.")
    elif option == "custom_domain":
        if "://" in value or value.startswith("/") or value.endswith("/") or not _DOMAIN.match(value):
            raise ImproperlyConfigured(
                f"{name} is a host name (and optional path) without scheme or slashes, e.g. media.example.org; "
                f"got {value!r}."
            )
    elif option == "addressing_style" and value not in _ADDRESSING_STYLES:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(_ADDRESSING_STYLES)}; got {value!r}.")


def _redacted(raw):
    """The URL with any secret replaced, fit for an error message."""
    parts = urlsplit(raw)
    if "@" not in parts.netloc:
        return raw
    credentials, _, host = parts.netloc.rpartition("@")
    key = credentials.partition(":")[0]
    return parts._replace(netloc=f"{key}:***@{host}").geturl()
