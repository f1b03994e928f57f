"""Reading the network admin's pages in tests: text by data-testid, tables as rows of cell text."""

import csv
import io

from bs4 import BeautifulSoup


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def squash(text):
    return " ".join(text.split())


def text_of(response, testid):
    element = soup(response).select_one(f'[data-testid="{testid}"]')
    assert element is not None, f"no element with data-testid={testid}"
    return squash(element.get_text(" ", strip=True))


def table_rows(response, testid, part="tbody"):
    table = soup(response).select_one(f'[data-testid="{testid}"]')
    assert table is not None, f"no table with data-testid={testid}"
    return [
        [squash(cell.get_text(" ", strip=True)) for cell in row.find_all(["th", "td"])]
        for row in table.select(f"{part} tr")
    ]


def messages_of(response):
    return [squash(message.get_text(" ", strip=True)) for message in soup(response).select(".messages .message")]


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
