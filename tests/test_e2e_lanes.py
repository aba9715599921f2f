"""The browser tests' lanes (tests/xdist_scheduling.py) and the copy of the run's frontend build
a second lane serves (tests/e2e/shared_build.py), without a browser or a build."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest
import reflex_base
from reflex_base.constants import Dirs

from tests.e2e.shared_build import BuildRecord, SharedBuild, rewrite_port
from tests.xdist_scheduling import BROWSER_LANES, SECOND_LANE, lanes_for, scope_of

E2E = Path(__file__).parent / "e2e"
COMPRESSOR = Path(reflex_base.__file__).parent / ".templates" / "web" / "compress-static.js"


def test_every_browser_module_has_one_lane_and_the_rest_goes_by_file() -> None:
    modules = sorted(p.name for p in E2E.glob("test_*.py"))
    assert set(modules) >= SECOND_LANE, SECOND_LANE - set(modules)  # no stale name
    first = [m for m in modules if scope_of(f"tests/e2e/{m}::t[a]", 2) == BROWSER_LANES[0]]
    second = [m for m in modules if scope_of(f"tests/e2e/{m}::t", 2) == BROWSER_LANES[1]]
    assert sorted(first + second) == modules and first and second
    assert "test_a11y_e2e.py" in first and "test_web_vitals_e2e.py" in second  # the long ones
    assert {scope_of(f"tests/e2e/{m}::t", 1) for m in modules} == {BROWSER_LANES[0]}
    assert scope_of("tests/api/test_x.py::test_y[sqlite]", 2) == "tests/api/test_x.py"


@pytest.mark.parametrize(("workers", "lanes"), [(1, 1), (2, 1), (3, 1), (4, 2), (8, 2)])
def test_two_lanes_only_with_workers_to_spare(
    workers: int, lanes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("E2E_LANES", raising=False)
    assert lanes_for(workers) == lanes
    monkeypatch.setenv("E2E_LANES", "2")
    assert lanes_for(3) == 2 and lanes_for(2) == 1  # never every worker


def _fake_web(web: Path, port: int) -> Path:
    """A `.web` the way a build leaves it: the address in env.json, in the bundled chunk and
    in a page, beside their sidecars; node_modules that is not copied."""
    client = web / Dirs.STATIC
    (client / "assets").mkdir(parents=True)
    (web / "node_modules").mkdir()
    shutil.copy(COMPRESSOR, web / "compress-static.js")
    (web / "package.json").write_text('{"type": "module"}')  # as the build's: an ES module
    (web / "env.json").write_text(f'{{"EVENT": "ws://localhost:{port}/_event"}}')
    chunk = client / "assets" / "reflex-env-abc.js"
    chunk.write_text(f'const e={{EVENT:"ws://localhost:{port}/_event"}};' + " " * 300)
    page = client / "index.html"
    page.write_text(f'<meta content="http://localhost:{port}/social.png"><p>localhost:{port}1')
    for path in (chunk, page):
        (path.parent / (path.name + ".gz")).write_bytes(gzip.compress(path.read_bytes()))
        (path.parent / (path.name + ".br")).write_bytes(b"stale")
    return page


def test_a_copy_for_another_port_serves_that_port_sidecars_included(tmp_path: Path) -> None:
    if not (shutil.which("node") or shutil.which("bun")):
        pytest.skip("no node or bun to compress with")  # make test has both
    web = tmp_path / ".web"
    _fake_web(web, 41234)
    build = SharedBuild(tmp_path, web)
    record = BuildRecord(41234, ("env", 1))
    assert build.web_for(record, 41234, tmp_path / "copies") == web

    copy = build.web_for(record, 45678, tmp_path / "copies")
    assert not (copy / "node_modules").exists()
    page = copy / Dirs.STATIC / "index.html"
    text = page.read_text()
    assert "localhost:45678/social.png" in text and "localhost:412341" in text  # not a prefix
    assert gzip.decompress((page.parent / "index.html.gz").read_bytes()).decode() == text
    for name in ("index.html.br", "assets/reflex-env-abc.js.br"):
        assert (page.parent / name).read_bytes() != b"stale", name
    assert "localhost:45678" in (copy / "env.json").read_text()
    # The original build is untouched, and a second start reuses the copy.
    assert "localhost:41234/social.png" in (web / Dirs.STATIC / "index.html").read_text()
    (page.parent / "marker").write_text("kept")
    assert build.web_for(record, 45678, tmp_path / "copies") == copy
    assert (page.parent / "marker").is_file()


def test_rewrite_leaves_other_addresses_alone(tmp_path: Path) -> None:
    (tmp_path / "a.js").write_text("x://localhost:5000/ y://notlocalhost:5000/ z://localhost:50001")
    (tmp_path / "b.png").write_bytes(b"localhost:5000")
    assert rewrite_port(tmp_path, 5000, 6000) == [tmp_path / "a.js"]
    assert (tmp_path / "a.js").read_text() == (
        "x://localhost:6000/ y://notlocalhost:5000/ z://localhost:50001"
    )
    assert (tmp_path / "b.png").read_bytes() == b"localhost:5000"
