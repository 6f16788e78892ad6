"""Identifiers compare after NFC and without format characters; bidi controls are refused."""

from __future__ import annotations

import unicodedata

import pytest
from click.testing import CliRunner

from optimizer.cli import cli
from optimizer.domain.names import canonical, hint
from optimizer.workbook.validate import load_inputs
from tests.test_bad_inputs import rich, set_cell
from tests.workbooks import write_book

CURACAO_NFC = unicodedata.normalize("NFC", "Curaçao")
CURACAO_NFD = unicodedata.normalize("NFD", "Curaçao")


def _with_country(name_in_countries: str, name_in_suppliers: str):
    sheets = rich()
    set_cell(sheets, "Countries", 4, "country", name_in_countries)
    set_cell(sheets, "Suppliers", 5, "country", name_in_suppliers)
    return sheets


def test_a_country_in_nfd_matches_its_nfc_spelling(tmp_path):
    assert CURACAO_NFC != CURACAO_NFD
    inputs = load_inputs(write_book(tmp_path / "nfd.xlsx", _with_country(CURACAO_NFC, CURACAO_NFD)))
    assert inputs.offers.loc[inputs.offers["supplier"] == "US1", "country"].item() == CURACAO_NFC


INVISIBLE = ["\u200b", "\ufeff", "\u2060", "\u00ad", "\u034f", "\ufe0f", "\u3164", "\U000e0041"]
"""Zero-width space, byte-order mark, word joiner, soft hyphen (category Cf), and
default-ignorable characters of other categories: combining grapheme joiner, variation
selector, Hangul filler, a tag character."""


@pytest.mark.parametrize("mark", INVISIBLE)
def test_a_format_character_is_ignored_in_headers_and_values_alike(tmp_path, mark):
    sheets = rich()
    sheets["Suppliers"][0][sheets["Suppliers"][0].index("capacity")] = f"capa{mark}city"
    set_cell(sheets, "Suppliers", 2, "country", f"Chi{mark}na")
    inputs = load_inputs(write_book(tmp_path / "zw.xlsx", sheets))
    assert all("unknown column" not in w.message for w in inputs.warnings)
    assert inputs.offers["country"].iloc[0] == "China"
    assert inputs.offers["capacity"].iloc[0] == 20


@pytest.mark.parametrize("control", ["\u202e", "\u2067", "\u200f"])
def test_a_bidi_control_in_a_name_is_refused_and_never_reaches_a_plan(tmp_path, control):
    path = write_book(tmp_path / "bidi.xlsx", _with_country(f"{control}US", f"{control}US"))
    result = CliRunner().invoke(cli, ["solve", str(path), "-o", str(tmp_path / "plan.xlsx")])
    assert result.exit_code == 2, result.output
    assert "Countries!A4" in result.stderr and f"U+{ord(control):04X}" in result.stderr
    assert not (tmp_path / "plan.xlsx").exists()


def test_a_lookalike_name_gets_a_hint_naming_the_characters():
    cyrillic = "\u0421hina"  # CYRILLIC CAPITAL LETTER ES, then "hina"
    text = hint(cyrillic, ["China", "Malaysia"])
    assert 'did you mean "China"?' in text
    assert "U+0441 CYRILLIC SMALL LETTER ES" in text and "U+0063 LATIN SMALL LETTER C" in text


def test_canonical_forms():
    assert canonical(CURACAO_NFD) == canonical(CURACAO_NFC) == "curaçao"
    assert canonical("Max\u200b Share") == "max_share"
    assert canonical("China") != canonical("\u0421hina")


@pytest.mark.parametrize("mark", INVISIBLE)
def test_an_invisible_character_in_a_sheet_name_is_ignored(tmp_path, mark):
    sheets = rich()
    sheets[f"Supp{mark}liers"] = sheets.pop("Suppliers")
    inputs = load_inputs(write_book(tmp_path / "sheet.xlsx", sheets))
    assert len(inputs.offers) == 4
    assert all("unknown sheet" not in w.message for w in inputs.warnings)


def test_a_required_header_with_a_no_break_space_is_an_error_naming_its_cell(tmp_path):
    sheets = rich()
    header = sheets["Suppliers"][0]
    column = header.index("capacity")
    header[column] = "capa\u00a0city"
    path = write_book(tmp_path / "nbsp.xlsx", sheets)
    result = CliRunner().invoke(cli, ["solve", str(path), "-o", str(tmp_path / "plan.xlsx")])
    assert result.exit_code == 2, result.output
    cell = f"Suppliers!{chr(ord('A') + column)}1"
    assert cell in result.stderr and "required column 'capacity' is missing" in result.stderr
    assert "U+00A0 NO-BREAK SPACE" in result.stderr
    assert not (tmp_path / "plan.xlsx").exists()
