"""The "more like this" cases both engines are held to (``test_engine.py``, ``test_elastic.py``): answers like a text
are those sharing enough of its distinctive words, best first, never one that shares a single word of many."""

TEXT = "How hard should I tamp the espresso in my coffee machine? My espresso shots taste bitter."
# What TEXT finds, best first; 4 shares only "coffee" (of six words or more) and 5 nothing.
FOUND = [1, 2]


def documents(doc):
    """Answers made with the calling module's ``doc`` factory."""
    return [
        doc(1, "How hard to tamp espresso", answer="Tamp espresso firmly: bitter shots come from tamping too hard."),
        doc(2, "Espresso machine pressure", answer="A coffee machine pulls espresso at nine bar."),
        doc(3, "Storing coffee beans", answer="Keep beans airtight."),
        doc(4, "Coffee for a crowd", answer="Brew a large urn of filter coffee for the event."),
        doc(5, "Room hire", answer="Charge for the hall by the hour."),
    ]


def check(engine, audience, ids):
    """Every case, on ``engine`` indexed with ``documents``."""
    assert ids(engine.similar(TEXT, audience=audience)) == FOUND, ids(engine.similar(TEXT, audience=audience))
    assert ids(engine.similar(TEXT, audience=audience, exclude_page_id=1)) == FOUND[1:]
    assert ids(engine.similar(TEXT, audience=audience, limit=1)) == FOUND[:1]
    assert engine.similar("the and of", audience=audience) == []
    assert engine.similar("?! ...", audience=audience) == []
