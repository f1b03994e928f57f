"""The demo cast: plans, networks, advisers and experts. Every name and organisation is invented."""

import json
from pathlib import Path

DEMO_PASSWORD = "demo-password"
CONTENT_DIR = Path(__file__).parent / "content"

PLANS = [
    {
        "slug": "standard",
        "name": "Standard",
        "annual_price": "1200.00",
        "included_seats": 25,
        "extra_seat_price": "40.00",
        "sla_hours": 48,
        "question_allowance": 120,
        "widgets": True,
        "private_feeds": False,
        "full_answers_in_widgets": False,
        "description": "For smaller networks: answers within 48 working hours, 120 questions a year.",
    },
    {
        "slug": "premium",
        "name": "Premium",
        "annual_price": "2400.00",
        "included_seats": 60,
        "extra_seat_price": "30.00",
        "sla_hours": 24,
        "question_allowance": None,
        "widgets": True,
        "private_feeds": True,
        "full_answers_in_widgets": True,
        "description": "For busy networks: answers within 24 working hours, unlimited questions, private feeds "
        "and full answers in your widgets.",
    },
]

# (slug, name, plan, seats, days since the current period started, live?) — one network's subscription has run
# out, to show what that looks like; Westvale's year is nearly over, so its renewal invoice is out.
NETWORKS = [
    ("northshire-rcc", "Northshire Rural Community Council", "standard", 25, 200, True),
    ("westvale-cvs", "Westvale Council for Voluntary Service", "premium", 70, 345, True),
    ("eastmoor-va", "Eastmoor Voluntary Action", "standard", 25, 400, False),
]

# (email, first, last, network, role, member organisation)
ADVISERS = [
    ("adviser@demo.test", "Amy", "Lawson", "northshire-rcc", "adviser", "Hillside Village Hall"),
    ("netadmin@demo.test", "Nadia", "Brennan", "northshire-rcc", "admin", "Northshire Rural Community Council"),
    ("owen.price@demo.test", "Owen", "Price", "northshire-rcc", "adviser", "Northshire Community Transport"),
    ("grace.adeyemi@demo.test", "Grace", "Adeyemi", "northshire-rcc", "adviser", "Riverside Food Bank"),
    ("liam.fraser@demo.test", "Liam", "Fraser", "westvale-cvs", "admin", "Westvale Council for Voluntary Service"),
    ("zara.khan@demo.test", "Zara", "Khan", "westvale-cvs", "adviser", "Westvale Youth Project"),
    ("ben.ostrowski@demo.test", "Ben", "Ostrowski", "westvale-cvs", "adviser", "Canal Street Community Centre"),
    ("hannah.moyo@demo.test", "Hannah", "Moyo", "westvale-cvs", "adviser", "Westvale Carers' Network"),
    ("sam.whitfield@demo.test", "Sam", "Whitfield", "eastmoor-va", "adviser", "Eastmoor Arts Collective"),
    ("ella.turner@demo.test", "Ella", "Turner", "eastmoor-va", "adviser", "Moorside Playgroup"),
]

# (email, first, last, slug, headline, organisation, bio, topics, cap)
EXPERTS = [
    (
        "expert@demo.test",
        "Helen",
        "Carter",
        "helen-carter",
        "Charity solicitor, 20 years advising small charities",
        "Carter Charity Law",
        "Helen advises trustees on governance, constitutions, CIO conversions and mergers, and on leases and "
        "asset transfers of community buildings. She was a trustee of a village hall for ten years.",
        ["charity-law", "community-buildings"],
        6,
    ),
    (
        "tom.okafor@experts.demo.test",
        "Tom",
        "Okafor",
        "tom-okafor",
        "Fundraising consultant and former grants officer",
        "Okafor Funding Advice",
        "Tom spent eight years assessing applications at a regional grant-maker before helping community groups "
        "write winning bids, cost their projects fully and manage restricted funds.",
        ["funding", "volunteering"],
        5,
    ),
    (
        "ruth.jenkins@experts.demo.test",
        "Ruth",
        "Jenkins",
        "ruth-jenkins",
        "HR adviser to the voluntary sector",
        "Third Sector HR Partners",
        "Ruth has handled contracts, restructures, TUPE transfers and grievances for charities of every size, "
        "and trains managers in supervising staff and volunteers fairly.",
        ["employment", "volunteering"],
        5,
    ),
    (
        "david.mensah@experts.demo.test",
        "David",
        "Mensah",
        "david-mensah",
        "Chartered accountant specialising in charity VAT and finance",
        "Mensah & Co",
        "David prepares and examines charity accounts, advises on VAT for mixed business and non-business "
        "activities, reserves policies and trading subsidiaries.",
        ["vat-finance", "funding"],
        5,
    ),
    (
        "sian.hughes@experts.demo.test",
        "Siân",
        "Hughes",
        "sian-hughes",
        "Data protection officer for community organisations",
        "Hughes Information Governance",
        "Siân acts as an outsourced data protection officer for charities and housing associations: privacy "
        "notices, subject access requests, breaches and retention.",
        ["data-protection", "safeguarding"],
        5,
    ),
    (
        "marcus.bell@experts.demo.test",
        "Marcus",
        "Bell",
        "marcus-bell",
        "Safeguarding lead and trainer",
        "Safer Communities Training",
        "Marcus was a designated safeguarding lead in youth and adult services for fifteen years and now "
        "trains trustees, staff and volunteers.",
        ["safeguarding", "volunteering"],
        5,
    ),
    (
        "alison.reid@experts.demo.test",
        "Alison",
        "Reid",
        "alison-reid",
        "Community transport and rural services adviser",
        "Rural Access Consulting",
        "Alison ran a community transport scheme for a decade: permits, minibus licensing, volunteer drivers, "
        "insurance and accessible services. She also advises on community buildings in rural areas.",
        ["rural-transport", "community-buildings"],
        4,
    ),
]

COORDINATOR = ("coordinator@demo.test", "Chris", "Morgan")

# Who invoices the networks (Settings → Billing settings): made up, but complete, so demo invoices are too.
SELLER = {
    "seller_name": "Ask an Expert CIC",
    "seller_address": "Unit 4, The Maltings\nMill Lane\nYork YO1 7HB",
    "seller_vat_number": "GB 318 4527 06",
    "billing_email": "billing@ask-an-expert.test",
    "bank_details": "Account name: Ask an Expert CIC\nSort code: 60-83-71\nAccount number: 21436587",
}

# Generic, sensible first replies for the questions that wait for the adviser.
CLARIFICATION_MESSAGES = [
    "Before I answer: roughly what is your organisation's annual income, and are you a registered charity, "
    "a CIO or an unregistered group?",
    "Could you tell me whether this is covered by a written agreement or policy, and if so what it says on this point?",
    "How soon do you need to act? If there is a deadline, please tell me the date so I can put the most "
    "urgent steps first.",
    "Is anyone else already advising you on this (a solicitor, an accountant or your insurer)? I want to "
    "avoid giving you conflicting advice.",
]


def load_topics():
    """Every topic file in content/, in name order."""
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(CONTENT_DIR.glob("*.json"))]
