from django.conf import settings
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from feeds.oembed import oembed
from subscriptions import views as subscription_views

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/", include("allauth.urls")),
    path("account/", include("qa_site.accounts.urls")),
    path("subscribe/", subscription_views.subscribe, name="subscribe"),
    path("payments/webhook/<slug:provider>/", subscription_views.payment_webhook, name="payment_webhook"),
    path("experts/", include("experts.urls")),
    path("search/", include("search.urls")),
    path("feeds/", include("feeds.urls")),
    path("alerts/", include("feeds.alert_urls")),
    path("embed/", include("feeds.embed_urls")),
    path("oembed/", oembed, name="oembed"),
    path("network/", include("qa_site.network.urls")),
    path("", include("qa_site.knowledge.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail serves the knowledge-base pages; it must come last.
urlpatterns += [path("", include(wagtail_urls))]
