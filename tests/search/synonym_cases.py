"""The sector-synonym cases both engines are held to (``test_engine.py``, ``test_elastic.py``)."""

QUERIES = [
    "CIO",
    "charitable incorporated organisation",
    "VAT",
    "value added tax",
    "DBS",
    "disclosure and barring service",
]
# What each query finds, by its first word.
FOUND = {"cio": [1, 2], "charitable": [1, 2], "vat": [3, 4], "value": [3, 4], "dbs": [5, 6], "disclosure": [5, 6]}


def documents(doc):
    """Answers that use one form of a sector term each, made with the calling module's ``doc`` factory."""
    return [
        doc(1, "Converting our trust", answer="A charitable incorporated organisation has members."),
        doc(2, "Setting up a CIO", answer="Register it online with the regulator."),
        doc(3, "Charging for room hire", answer="Room hire may be exempt from value added tax."),
        doc(4, "Is room hire VAT exempt?", answer="Usually, unless you opted to tax the building."),
        doc(
            5,
            "Checking new volunteers",
            answer="People working with children need a disclosure and barring service check.",
        ),
        doc(6, "DBS for drivers", answer="Drivers of a minibus need one."),
    ]


def found(query):
    return FOUND[query.split()[0].lower()]
