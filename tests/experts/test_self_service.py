"""What experts and would-be experts do for themselves: their settings, and applying to join the panel."""

import datetime as dt

import pytest
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.models import Collection

from experts.models import ExpertApplication, ExpertProfile
from qa_site.knowledge.models import Question
from tests.factories import ask, image_bytes, make_expert, make_image, make_topic

Image = get_image_model()
SETTINGS = "/experts/settings/"
APPLY = "/experts/apply/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def field_errors(response, name):
    """A field's messages (``<id>_error``, the site's field include), without the "Error:" read out to screen readers
    before each."""
    items = soup(response).select(f"#id_{name}_error li")
    return [li.get_text(" ", strip=True).removeprefix("Error: ") for li in items]


def page_messages(response):
    return [str(message) for message in response.context["messages"]]


def snapshot(user):
    """Everything the settings page could change."""
    profile = ExpertProfile.objects.get(user=user)
    return (
        profile.headline,
        profile.organisation,
        profile.bio,
        profile.max_open_questions,
        profile.accepting_new,
        profile.away_from,
        profile.away_until,
        profile.photo_id,
        sorted(profile.topics.values_list("pk", flat=True)),
        profile.status,
        Image.objects.count(),
    )


def settings_data(chosen, **changes):
    data = {
        "topics": [topic.pk for topic in chosen],
        "max_open_questions": "3",
        "accepting_new": "on",
        "away_from": "",
        "away_until": "",
        "headline": "Charity solicitor, 20 years in the sector",
        "organisation": "Erin & Co",
        "bio": "I advise trustees.",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def upload(name, content, content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- Settings: who may open it ------------------------------------------------------------------------------------


def test_settings_redirects_anonymous_visitors_to_sign_in(client, site_tree):
    response = client.get(SETTINGS)
    assert (response.status_code, response.url) == (302, "/accounts/login/?next=/experts/settings/")


@pytest.mark.parametrize("who", ["alice", "colin", "nobody", "retired_expert"])
def test_settings_is_forbidden_to_people_not_on_the_panel(client, request, topic, who):
    if who == "retired_expert":
        user = make_expert(topics=[topic], status=ExpertProfile.Status.RETIRED).user
    else:
        user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(SETTINGS).status_code == 403
    assert client.post(SETTINGS, settings_data([topic])).status_code == 403


def test_settings_is_open_to_a_paused_expert(client, erin):
    ExpertProfile.objects.filter(user=erin).update(status=ExpertProfile.Status.PAUSED)
    client.force_login(erin)
    assert client.get(SETTINGS).status_code == 200


# --- Settings: saving ---------------------------------------------------------------------------------------------


def test_settings_form_starts_from_the_experts_current_settings(client, erin, topic, other_topic):
    ExpertProfile.objects.filter(user=erin).update(
        max_open_questions=7, accepting_new=False, away_from=dt.date(2030, 1, 2), organisation="Erin & Co"
    )
    client.force_login(erin)
    page = soup(client.get(SETTINGS))
    checked = [box["value"] for box in page.select('input[name="topics"][checked]')]
    assert checked == [str(topic.pk)]
    assert [box["value"] for box in page.select('input[name="topics"]')] == [str(topic.pk), str(other_topic.pk)]
    assert page.select_one("#id_max_open_questions")["value"] == "7"
    assert not page.select_one("#id_accepting_new").has_attr("checked")
    assert page.select_one("#id_away_from")["value"] == "2030-01-02"
    assert not page.select_one("#id_away_until").has_attr("value")
    assert page.select_one("#id_organisation")["value"] == "Erin & Co"


def test_settings_saves_every_field(client, erin, topic, other_topic):
    client.force_login(erin)
    data = settings_data(
        [other_topic],
        max_open_questions="12",
        accepting_new=None,
        away_from="2030-07-01",
        away_until="2030-07-14",
        headline="  Employment and charity law  ",
        organisation="Erin Legal LLP",
        bio="Twenty years advising trustees.",
    )
    response = client.post(SETTINGS, data)
    assert (response.status_code, response.url) == (302, SETTINGS)
    assert snapshot(erin) == (
        "Employment and charity law",
        "Erin Legal LLP",
        "Twenty years advising trustees.",
        12,
        False,
        dt.date(2030, 7, 1),
        dt.date(2030, 7, 14),
        None,
        [other_topic.pk],
        ExpertProfile.Status.ACTIVE,
        0,
    )
    assert page_messages(client.get(SETTINGS)) == ["Your settings have been saved."]


def test_settings_away_from_without_an_end_is_open_ended(client, erin, topic):
    client.force_login(erin)
    today = timezone.localdate()
    client.post(SETTINGS, settings_data([topic], away_from=today.isoformat()))
    profile = ExpertProfile.objects.get(user=erin)
    assert (profile.away_from, profile.away_until, profile.is_away) == (today, None, True)


def test_settings_away_for_a_single_day_is_allowed(client, erin, topic):
    client.force_login(erin)
    response = client.post(SETTINGS, settings_data([topic], away_from="2030-03-04", away_until="2030-03-04"))
    assert response.status_code == 302
    profile = ExpertProfile.objects.get(user=erin)
    assert (profile.away_from, profile.away_until) == (dt.date(2030, 3, 4), dt.date(2030, 3, 4))


def test_settings_take_effect_for_routing(client, run_on_commit, erin, topic, alice, northshire):
    client.force_login(erin)
    client.post(SETTINGS, settings_data([topic], away_from=timezone.localdate().isoformat()))
    question = ask(run_on_commit, alice, northshire, topic)
    assert (question.status, question.assignee, question.needs_triage) == (Question.Status.SUBMITTED, None, True)


def test_settings_keep_topics_that_are_no_longer_published(client, erin, topic):
    archived = make_topic("Archived topic")
    ExpertProfile.objects.get(user=erin).topics.add(archived)
    archived.unpublish()
    other = make_topic("Employment")
    client.force_login(erin)
    client.post(SETTINGS, settings_data([other]))
    assert sorted(ExpertProfile.objects.get(user=erin).topics.values_list("title", flat=True)) == [
        "Archived topic",
        "Employment",
    ]


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        (
            {"away_from": "2030-07-14", "away_until": "2030-07-01"},
            "away_until",
            "“Away until” cannot be before “Away from”.",
        ),
        ({"away_until": "2030-07-01"}, "away_from", "Give the first day you are away as well."),
        ({"away_from": "2030-02-30"}, "away_from", "Enter a valid date."),
        ({"max_open_questions": "0"}, "max_open_questions", "Ensure this value is greater than or equal to 1."),
        ({"max_open_questions": "500"}, "max_open_questions", "Ensure this value is less than or equal to 50."),
        ({"max_open_questions": ""}, "max_open_questions", "This field is required."),
        ({"topics": []}, "topics", "Choose at least one topic."),
        ({"topics": ["999999"]}, "topics", "Choose topics from the list"),
        ({"headline": "   "}, "headline", "This field is required."),
        ({"headline": "x" * 201}, "headline", "Ensure this value has at most 200 characters (it has 201)."),
    ],
)
def test_settings_bad_input_shows_the_form_again_and_changes_nothing(client, erin, topic, changes, field, error):
    client.force_login(erin)
    before = snapshot(erin)
    response = client.post(SETTINGS, settings_data([topic], **changes))
    assert response.status_code == 200
    assert field_errors(response, field) == [error]
    summary = soup(response).select_one('[data-testid="error-summary"]')
    assert summary.select_one("h2").get_text(strip=True) == "There is a problem"
    assert [a.get_text(strip=True) for a in summary.select("a")] == [error]
    assert snapshot(erin) == before


# --- Settings: the photo ------------------------------------------------------------------------------------------


def test_settings_photo_upload_becomes_a_wagtail_image_in_the_root_collection(client, erin, topic):
    client.force_login(erin)
    content = image_bytes(size=(300, 200))
    response = client.post(SETTINGS, settings_data([topic], photo=upload("me.png", content)))
    assert response.status_code == 302
    profile = ExpertProfile.objects.select_related("photo").get(user=erin)
    image = profile.photo
    assert (image.title, image.width, image.height) == (f"{erin.display_name} (expert photo)", 300, 200)
    assert image.collection == Collection.get_first_root_node()
    assert image.uploaded_by_user == erin
    assert image.file_size == len(content)
    assert len(image.file_hash) == 40
    profile_page = soup(client.get(profile.get_absolute_url()))
    assert profile_page.select_one(".profile-head img.portrait")["src"].endswith(".fill-160x160.png")


@pytest.mark.parametrize(("name", "fmt"), [("me.jpg", "JPEG"), ("me.jpeg", "JPEG"), ("me.webp", "WEBP")])
def test_settings_photo_accepts_jpeg_and_webp(client, erin, topic, name, fmt):
    client.force_login(erin)
    response = client.post(SETTINGS, settings_data([topic], photo=upload(name, image_bytes(format=fmt))))
    assert response.status_code == 302
    assert ExpertProfile.objects.get(user=erin).photo is not None


def test_settings_replacing_the_photo_removes_the_experts_earlier_upload(client, erin, topic):
    client.force_login(erin)
    client.post(SETTINGS, settings_data([topic], photo=upload("first.png", image_bytes())))
    first = ExpertProfile.objects.get(user=erin).photo_id
    client.post(SETTINGS, settings_data([topic], photo=upload("second.png", image_bytes(size=(50, 50)))))
    second = ExpertProfile.objects.get(user=erin).photo
    assert second.pk != first
    assert (second.width, second.height) == (50, 50)
    assert list(Image.objects.values_list("pk", flat=True)) == [second.pk]


def test_settings_replacing_a_photo_the_coordinators_chose_keeps_theirs_in_the_library(client, erin, topic):
    library_image = make_image(title="From the press kit")
    ExpertProfile.objects.filter(user=erin).update(photo=library_image)
    client.force_login(erin)
    client.post(SETTINGS, settings_data([topic], photo=upload("mine.png", image_bytes())))
    assert ExpertProfile.objects.get(user=erin).photo_id != library_image.pk
    assert Image.objects.filter(pk=library_image.pk).exists()


def test_settings_offer_to_remove_a_photo_only_when_there_is_one(client, erin, topic):
    client.force_login(erin)
    assert soup(client.get(SETTINGS)).select("#id_remove_photo") == []
    client.post(SETTINGS, settings_data([topic], photo=upload("first.png", image_bytes())))
    assert len(soup(client.get(SETTINGS)).select("#id_remove_photo")) == 1


def test_settings_remove_photo(client, erin, topic):
    client.force_login(erin)
    client.post(SETTINGS, settings_data([topic], photo=upload("first.png", image_bytes())))
    response = client.post(SETTINGS, settings_data([topic], remove_photo="on"))
    assert response.status_code == 302
    assert ExpertProfile.objects.get(user=erin).photo is None
    assert Image.objects.count() == 0


def test_settings_saving_without_a_new_photo_keeps_the_current_one(client, erin, topic):
    client.force_login(erin)
    client.post(SETTINGS, settings_data([topic], photo=upload("first.png", image_bytes())))
    photo = ExpertProfile.objects.get(user=erin).photo_id
    client.post(SETTINGS, settings_data([topic], headline="A new headline"))
    assert ExpertProfile.objects.get(user=erin).photo_id == photo


def six_megabyte_png():
    return image_bytes(size=(1500, 1400), noise=True)


@pytest.mark.parametrize(
    ("make_upload", "error"),
    [
        (lambda: upload("notes.png", b"These are my notes, not a picture."), None),
        (lambda: upload("me.gif", image_bytes(format="GIF"), "image/gif"), "Upload a JPEG, PNG or WebP image."),
        (
            lambda: upload("me.png", image_bytes(format="JPEG")),
            "Not a valid .png image. The extension does not match the file format (jpeg)",
        ),
        (lambda: upload("huge.png", six_megabyte_png()), "big"),
    ],
    ids=["text-renamed-png", "gif", "jpeg-named-png", "six-megabytes"],
)
def test_settings_bad_photo_shows_the_form_again_and_changes_nothing(client, erin, topic, make_upload, error):
    photo = make_upload()
    size = photo.size
    if error is None:
        error = "Upload a valid image. The file you uploaded was either not an image or a corrupted image."
    elif error == "big":
        assert size > 6 * 1000 * 1000
        error = f"This file is too big ({filesizeformat(size)}): the limit is {filesizeformat(5 * 1024 * 1024)}."
    client.force_login(erin)
    before = snapshot(erin)
    response = client.post(SETTINGS, settings_data([topic], photo=photo, headline="Changed headline"))
    assert response.status_code == 200
    assert field_errors(response, "photo") == [error]
    assert snapshot(erin) == before


def test_settings_upload_and_remove_together_is_refused(client, erin, topic):
    client.force_login(erin)
    client.post(SETTINGS, settings_data([topic], photo=upload("first.png", image_bytes())))
    before = snapshot(erin)
    response = client.post(SETTINGS, settings_data([topic], photo=upload("me.png", image_bytes()), remove_photo="on"))
    assert field_errors(response, "remove_photo") == ["Either upload a new photo or remove the current one, not both."]
    assert snapshot(erin) == before


# --- Applying to join the panel -----------------------------------------------------------------------------------


def application_data(chosen, **changes):
    data = {
        "headline": "Employment solicitor advising charities since 2008",
        "organisation": "Third Sector HR",
        "bio": "I help small charities with their staff.",
        "experience": "Solicitor since 2008; trustee of two charities.",
        "topics": [topic.pk for topic in chosen],
    }
    data.update(changes)
    return data


def test_apply_redirects_anonymous_visitors_to_sign_in(client, site_tree):
    response = client.get(APPLY)
    assert (response.status_code, response.url) == (302, "/accounts/login/?next=/experts/apply/")


def test_apply_creates_a_pending_application_and_then_shows_its_status(client, alice, topic, other_topic):
    client.force_login(alice)
    response = client.post(APPLY, application_data([topic, other_topic]))
    assert (response.status_code, response.url) == (302, APPLY)
    application = ExpertApplication.objects.get()
    assert (
        application.user,
        application.status,
        application.headline,
        application.organisation,
        application.bio,
        application.experience,
        sorted(application.topics.values_list("title", flat=True)),
    ) == (
        alice,
        ExpertApplication.Status.PENDING,
        "Employment solicitor advising charities since 2008",
        "Third Sector HR",
        "I help small charities with their staff.",
        "Solicitor since 2008; trustee of two charities.",
        ["Charity law", "Rural transport"],
    )
    response = client.get(APPLY)
    assert page_messages(response) == ["Thank you for applying: a coordinator will be in touch."]
    page = soup(response)
    assert page.select_one('[data-testid="application-status"]').get_text(strip=True) == "Waiting for a decision"
    assert page.select_one('[data-testid="application-topics"]').get_text(strip=True) == (
        "Topics: Charity law, Rural transport"
    )
    assert "Send my application" not in response.content.decode()


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"topics": []}, "topics", "Choose at least one topic."),
        ({"headline": ""}, "headline", "Enter a headline: one line about you"),
        ({"bio": "  "}, "bio", "Tell advisers about yourself"),
        ({"experience": ""}, "experience", "Enter your relevant experience and qualifications"),
        ({"experience": "x" * 5001}, "experience", "Shorten your experience to at most 5000 characters"),
    ],
)
def test_apply_bad_input_shows_the_form_again_and_creates_nothing(client, alice, topic, changes, field, error):
    client.force_login(alice)
    response = client.post(APPLY, application_data([topic], **changes))
    assert response.status_code == 200
    assert field_errors(response, field) == [error]
    assert not ExpertApplication.objects.exists()


def test_apply_twice_is_refused_with_a_clear_message(client, alice, topic):
    client.force_login(alice)
    client.post(APPLY, application_data([topic]), follow=True)
    response = client.post(APPLY, application_data([topic], headline="A second try"), follow=True)
    assert page_messages(response) == ["You have already applied; a coordinator will be in touch."]
    assert list(ExpertApplication.objects.values_list("headline", flat=True)) == [
        "Employment solicitor advising charities since 2008"
    ]


def test_apply_as_an_expert_already_on_the_panel_says_so(client, erin, topic):
    client.force_login(erin)
    response = client.get(APPLY)
    assert soup(response).select_one('[data-testid="already"]').get_text(" ", strip=True) == (
        "You are already on the panel. Go to your dashboard or change your settings ."
    )
    response = client.post(APPLY, application_data([topic]), follow=True)
    assert page_messages(response) == ["You are already on the panel."]
    assert not ExpertApplication.objects.exists()


def test_apply_after_being_turned_down_shows_the_decision_and_allows_a_new_application(client, alice, topic, colin):
    ExpertApplication.objects.create(
        user=alice,
        headline="First try",
        bio="About me.",
        experience="Some.",
        status=ExpertApplication.Status.REJECTED,
        decided_by=colin,
        decided_at=timezone.now(),
        decision_note="We have enough experts on employment for now.",
        submitted_at=timezone.make_aware(dt.datetime(2026, 3, 2, 10, 0)),
    )
    client.force_login(alice)
    response = client.get(APPLY)
    assert soup(response).select_one('[data-testid="previous"]').get_text(" ", strip=True) == (
        "Your application of 2 March 2026 was not accepted: We have enough experts on employment for now. "
        "You are welcome to apply again."
    )
    response = client.post(APPLY, application_data([topic]))
    assert response.status_code == 302
    assert ExpertApplication.objects.filter(user=alice, status=ExpertApplication.Status.PENDING).count() == 1


def test_become_an_expert_is_linked_from_the_footer_and_the_subscribe_page(client, standard_plan):
    footer = soup(client.get("/subscribe/")).select_one("footer")
    assert footer.find("a", string="Become an expert")["href"] == APPLY
    main = soup(client.get("/subscribe/")).select_one("main")
    assert main.find("a", string="apply to become an expert")["href"] == APPLY


def test_a_new_applicant_is_not_an_expert_until_approved(client, alice, topic):
    client.force_login(alice)
    client.post(APPLY, application_data([topic]))
    assert client.get(SETTINGS).status_code == 403
    assert not ExpertProfile.objects.filter(user=alice).exists()


def test_apply_form_offers_only_published_topics(client, alice, topic):
    hidden = make_topic("Hidden topic")
    hidden.unpublish()
    client.force_login(alice)
    labels = [label.get_text(strip=True) for label in soup(client.get(APPLY)).select("#id_topics label")]
    assert labels == ["Charity law"]
    response = client.post(APPLY, application_data([hidden]))
    assert field_errors(response, "topics") == ["Choose topics from the list"]


def test_a_former_expert_is_asked_to_contact_the_coordinators_to_rejoin(topic):
    from experts.services import PanelError, application_submit

    retired = make_expert(topics=[topic], status=ExpertProfile.Status.RETIRED)
    with pytest.raises(PanelError, match="contact the coordinators to rejoin"):
        application_submit(user=retired.user, headline="h", organisation="", bio="b", experience="e", topics=[topic])
