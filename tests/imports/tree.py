from wagtail.models import Page


def assert_tree_valid():
    """treebeard's own check: no bad characters, path lengths, orphans, depths or child counts."""
    assert Page.find_problems() == ([], [], [], [], [])
