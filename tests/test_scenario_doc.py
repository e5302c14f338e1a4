"""docs/scenario.md: its generated tables are current, it documents every field, and its YAML
examples are valid scenarios."""

from __future__ import annotations

import importlib.util
import re

import pytest
import yaml

from conftest import REPO
from leapsim.scenario import load_scenario
from leapsim.scenario.models import Catalogue, Scenario

DOC = REPO / "docs" / "scenario.md"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_scenario_doc", REPO / "scripts" /
                                                  "gen_scenario_doc.py")  # fmt: skip
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)


def test_generated_tables_are_current():
    text = DOC.read_text(encoding="utf-8")
    assert _generator().render(text) == text, (
        "docs/scenario.md is out of date: run .venv/bin/python scripts/gen_scenario_doc.py"
    )


def test_every_field_of_every_model_is_documented():
    gen = _generator()
    text = DOC.read_text(encoding="utf-8")
    models = gen.models_from(Scenario) + gen.models_from(Catalogue)
    for model in models:
        section = text.split(f"### {model.__name__}\n", 1)
        assert len(section) == 2, f"no section for {model.__name__}"
        table = section[1].split("\n### ", 1)[0]
        for name in model.model_fields:
            assert f"| `{name}` |" in table, f"{model.__name__}.{name} is not documented"


def test_minimal_scenario_in_the_doc_is_valid(tmp_path):
    blocks = [b for b in yaml_blocks() if "sites:" in b and "extends:" not in b]
    assert blocks, "the doc should show a complete scenario"
    for i, block in enumerate(blocks):
        path = tmp_path / f"doc{i}.yaml"
        path.write_text(block, encoding="utf-8")
        load_scenario(path)


def test_doc_snippets_are_valid(tmp_path):
    """The extends, catalogue and doctrine snippets, each completed into a scenario."""
    site = {"name": "Depot", "lat": 50.0, "lon": 22.0, "value_eur": 1.0e8, "nation": "PL"}
    checked = 0
    for i, block in enumerate(yaml_blocks()):
        data = yaml.safe_load(block)
        if "sites" in data:
            continue
        if "extends" not in data:
            data = {"name": "snippet", "sites": [site], **data}
        path = tmp_path / f"snippet{i}.yaml"
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        load_scenario(path)
        checked += 1
    assert checked >= 3


@pytest.mark.parametrize("name", ["gdansk_port", "new_effector", "saturation_night"])
def test_examples_named_in_the_doc_exist(name):
    assert f"{name}.yaml" in DOC.read_text(encoding="utf-8")
    assert (REPO / "examples" / f"{name}.yaml").is_file()
