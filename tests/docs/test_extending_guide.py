"""docs/EXTENDING.md is executed here, block by block, so the guide cannot rot.

Every fenced block carries an info string that says what to do with it:

- ```python file=PATH``` (or toml, text...): written to PATH inside the reader's package
  folder (`$PLUGIN`, a temporary directory here), which is on PYTHONPATH.
- ```python run```: executed in this process, with every file block importable.
- ```python test file=tests/test_x.py```: written like a file block, then run by pytest with
  the suite's own fixtures (the guide's tests/conftest.py imports them: `engine`/`session` on
  SQLite and PostgreSQL),
  all such blocks in one pytest process; each must pass, and one that uses the database must
  have run on both databases.
- ```bash```: run with bash from the repository root, `$PLUGIN` set; must exit 0.
- ```LANG skip: REASON```: not executed, and the reason is required. Kept rare.
- `needs=MODULE` on a test or bash block: run only where MODULE exists (the plugin API,
  pixel_studio.plugins, comes from another branch); elsewhere reported as skipped, by name.

The reader installs the package (`pip install -e "$PLUGIN"`); here its `pyproject.toml` block
becomes the `.dist-info` such an install writes (metadata and entry points) in a folder put
on the subprocesses' PYTHONPATH, so entry-point discovery sees exactly what it declares.

Anything else fails `test_every_block_is_understood`.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GUIDE = REPO / "docs" / "EXTENDING.md"
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.M | re.S)
KINDS = ("file", "run", "test", "bash", "skip")
# Fixtures that put a test on both databases (tests/conftest.py): such a test must run twice.
DB_FIXTURES = re.compile(r"\b(engine|db|session)\b")


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence, for messages and test ids
    lang: str
    info: str
    code: str

    def _word(self, key: str) -> str:
        return next((w.split("=", 1)[1] for w in self.info.split() if w.startswith(key)), "")

    @property
    def path(self) -> str:
        return self._word("file=")

    @property
    def needs(self) -> str:
        return self._word("needs=")

    @property
    def kind(self) -> str:
        words = [w for w in self.info.split() if not w.startswith("needs=")]
        if self.info.startswith("skip:"):
            return "skip"
        if self.lang == "bash" and not words:
            return "bash"
        if self.lang == "python" and words == ["run"]:
            return "run"
        if self.lang == "python" and len(words) == 2 and words[0] == "test" and self.path:
            return "test"
        if len(words) == 1 and self.path:
            return "file"
        return "unknown"

    @property
    def available(self) -> bool:
        return not self.needs or importlib.util.find_spec(self.needs) is not None

    @property
    def id(self) -> str:
        return f"line{self.line}-{self.kind}"


def parse(text: str) -> list[Block]:
    blocks = []
    for match in FENCE.finditer(text):
        header = match.group(1).strip()
        lang, _, info = header.partition(" ")
        line = text.count("\n", 0, match.start()) + 1
        blocks.append(Block(line, lang, info.strip(), match.group(2)))
    return blocks


BLOCKS = parse(GUIDE.read_text(encoding="utf-8"))


def of_kind(kind: str) -> list[Block]:
    return [b for b in BLOCKS if b.kind == kind]


def env_for(plugin: Path) -> dict[str, str]:
    """The subprocesses' environment: the package importable and "installed" (its dist-info)."""
    path = os.pathsep.join([str(REPO), str(plugin), str(plugin.parent / "site")])
    return {**os.environ, "PYTHONPATH": path, "PLUGIN": str(plugin), "SECRET_KEY": "guide-secret"}


def install_metadata(plugin: Path) -> None:
    """What `pip install -e "$PLUGIN"` leaves for importlib.metadata: name, version and the
    entry points of the package's pyproject.toml, in a dist-info folder."""
    project = tomllib.loads((plugin / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    info = (
        plugin.parent
        / "site"
        / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    )
    info.mkdir(parents=True)
    meta = f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
    (info / "METADATA").write_text(meta, encoding="utf-8")
    groups = project.get("entry-points", {})
    lines = [
        f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items())
        for group, eps in groups.items()
    ]
    (info / "entry_points.txt").write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The reader's package folder: every file and test block written where it says."""
    root = tmp_path_factory.mktemp("guide") / "plugin"
    for block in of_kind("file") + of_kind("test"):
        target = (root / block.path).resolve()
        assert target.is_relative_to(root), block.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(block.code, encoding="utf-8")
    install_metadata(root)
    sys.path.insert(0, str(root))
    before = set(sys.modules)
    yield root
    sys.path.remove(str(root))
    for name in set(sys.modules) - before:
        module = sys.modules[name]
        if str(getattr(module, "__file__", "") or "").startswith(str(root)):
            del sys.modules[name]


def test_every_block_is_understood() -> None:
    assert BLOCKS, "no fenced block found"
    unknown = [(b.line, b.lang, b.info) for b in BLOCKS if b.kind == "unknown"]
    assert not unknown, f"blocks without a known info string: {unknown}"
    for block in of_kind("skip"):
        assert len(block.info.removeprefix("skip:").strip()) >= 10, f"line {block.line}: reason?"
    skipped = len(of_kind("skip"))
    assert skipped <= 3, f"{skipped} blocks are not executed: keep such blocks rare"
    paths = [b.path for b in of_kind("file") + of_kind("test")]
    assert len(paths) == len(set(paths)), "two blocks write the same file"


def test_the_files_are_ruff_clean(plugin: Path) -> None:
    """Readers copy these files: they meet the project's own lint and format rules (import
    order aside: the reader's package is first-party in their project, not in this one)."""
    ruff = [sys.executable, "-m", "ruff"]
    config = ["--config", str(REPO / "pyproject.toml")]
    for args in (["check", "--ignore", "I001"], ["format", "--check"]):
        proc = subprocess.run([*ruff, *args, *config, str(plugin)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("block", of_kind("run"), ids=lambda b: b.id)
def test_run_block(block: Block, plugin: Path) -> None:
    code = compile(block.code, f"{GUIDE}:{block.line}", "exec")
    # A block may build an rx.App. This process may hold one already (another test imported
    # the app): Reflex then asks for a registration context of its own, forked from the first.
    from reflex_base.registry import RegistrationContext

    token = RegistrationContext.set(RegistrationContext.ensure_context().fork())
    try:
        exec(code, {"__name__": f"guide_block_{block.line}"})  # noqa: S102 - the guide's own
    finally:
        RegistrationContext.reset(token)


@pytest.mark.timeout(600)
def test_test_blocks_pass_on_both_databases(plugin: Path, tmp_path: Path) -> None:
    blocks = [b for b in of_kind("test") if b.available]
    assert blocks
    report = tmp_path / "junit.xml"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        + [f"--junitxml={report}"]
        + [str(plugin / b.path) for b in blocks],
        cwd=REPO,
        env=env_for(plugin),
        capture_output=True,
        text=True,
        timeout=590,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    cases = ET.parse(report).getroot().iter("testcase")
    passed: dict[str, list[str]] = {}
    for case in cases:
        if all(case.find(bad) is None for bad in ("failure", "error", "skipped")):
            file = case.get("classname", "").rsplit(".", 1)[-1]
            passed.setdefault(file, []).append(case.get("name", ""))
    for block in blocks:
        module = Path(block.path).stem
        names = passed.get(module, [])
        assert names, f"line {block.line}: no test of {block.path} passed"
        for name in re.findall(r"^def (test_\w+)\((.*?)\)", block.code, re.M | re.S):
            ran = [n for n in names if n.split("[")[0] == name[0]]
            assert ran, f"line {block.line}: {name[0]} did not pass"
            if DB_FIXTURES.search(name[1]) and "indirect=True" not in block.code:
                ids = " ".join(ran)
                assert "sqlite" in ids and "postgresql" in ids, f"{name[0]} ran as {ran}"


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.needs], ids=lambda b: b.id)
def test_blocks_that_need_another_branch(block: Block) -> None:
    """Reported, not silently left out: these run (above and below) once `needs` exists."""
    if not block.available:
        pytest.skip(f"line {block.line} needs {block.needs}, not in this tree yet")


@pytest.mark.parametrize("block", of_kind("bash"), ids=lambda b: b.id)
def test_bash_block(block: Block, plugin: Path) -> None:
    if not block.available:
        pytest.skip(f"needs {block.needs}")
    env = env_for(plugin)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    bash = shutil.which("bash")
    assert bash
    proc = subprocess.run(
        [bash, "-euo", "pipefail", "-c", block.code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"line {block.line}:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"


def test_readme_links_the_guide() -> None:
    assert "(docs/EXTENDING.md)" in (REPO / "README.md").read_text(encoding="utf-8")
