"""The README and docs/ against the code: every config key documented, the
exit codes as in pipeline/errors.py, links that resolve on GitHub, the stage
table where the generator expects it. (That every command is documented is in
test_cli.py.)"""

import re
import tomllib

import pytest

from conftest import ROOT
from pipeline import errors

README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]


def read(path):
    return path.read_text(encoding="utf-8")


def test_every_config_key_is_in_docs_configuration():
    """Each key of config.toml is a row of its own section's table."""
    text = read(DOCS / "configuration.md")
    sections = re.split(r"^\| \*\*\[(\w+)\]\*\* \|", text, flags=re.M)
    documented = {name: set(re.findall(r"^\| `(\w+)` \|", body, re.M))
                  for name, body in zip(sections[1::2], sections[2::2])}
    config = tomllib.loads(read(ROOT / "config.toml"))
    assert set(documented) == set(config)
    for section, keys in config.items():
        assert set(keys) == documented[section], section


def test_exit_codes_as_in_errors():
    codes = {value for name, value in vars(errors).items() if name.startswith("EXIT_")}
    table = re.search(r"^## Exit codes\n(.*?)^## ", read(README), re.M | re.S).group(1)
    assert {int(c) for row in re.findall(r"^\| ([\d, ]+) \|", table, re.M) for c in row.split(",")} == codes


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_links_are_relative_and_resolve(page):
    text = read(page)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        assert not re.match(r"[a-z]+:|/", target), f"{page.name}: {target} is not a relative link"
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        assert file.exists(), f"{page.name}: {target}"
        if anchor:
            headings = re.findall(r"^#+ (.+)$", read(file), re.M)
            assert anchor in {_slug(h) for h in headings}, f"{page.name}: {target}"


def test_stage_table_between_markers():
    text = read(README)
    assert text.count("<!-- stages:begin -->") == 1 and text.count("<!-- stages:end -->") == 1
    table = text.split("<!-- stages:begin -->\n")[1].split("<!-- stages:end -->")[0]
    assert table.splitlines()[0] == "| stage | command | make target | reads | writes |"


def test_readme_stays_short_and_its_picture_small():
    assert len(read(README).encode("utf-8")) < 15_000
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", read(README)):
        assert (ROOT / image).stat().st_size < 300_000, image
