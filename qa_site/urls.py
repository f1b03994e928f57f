from django.conf import settings
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail import views as wagtail_views
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from feeds.oembed import oembed
from qa_site.knowledge import pagecache
from subscriptions import views as subscription_views

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/", include("allauth.urls")),
    path("account/api-tokens/", include("qa_site.api.account_urls")),
    path("account/", include("qa_site.accounts.urls")),
    path("api/v1/", include("qa_site.api.urls")),
    path("subscribe/", subscription_views.subscribe, name="subscribe"),
    path("subscribe/sent/", subscription_views.subscribe_sent, name="subscribe_sent"),
    path("payments/webhook/<slug:provider>/", subscription_views.payment_webhook, name="payment_webhook"),
    path("experts/", include("experts.urls")),
    path("search/", include("search.urls")),
    path("feeds/", include("feeds.urls")),
    path("alerts/", include("feeds.alert_urls")),
    path("embed/", include("feeds.embed_urls")),
    path("oembed/", oembed, name="oembed"),
    path("network/<slug:slug>/webhooks/", include("qa_site.webhooks.urls")),
    path("network/", include("qa_site.network.urls")),
    path("mail/inbound/", include("qa_site.replies.urls")),
    path("", include("qa_site.knowledge.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail serves the knowledge-base pages; it must come last. Its serve view goes through the page cache, which
# answers a page it has for the reader's audience without routing (qa_site/knowledge/pagecache.py).
urlpatterns += [
    *(pattern for pattern in wagtail_urls.urlpatterns if getattr(pattern, "name", None) != "wagtail_serve"),
    re_path(wagtail_urls.serve_pattern, pagecache.cached(wagtail_views.serve), name="wagtail_serve"),
]
