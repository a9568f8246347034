from __future__ import annotations

import tomllib
from importlib import resources

import pytest

from dataset_builder.config import LangidSettings, check_against_schema, load_config
from dataset_builder.errors import ConfigError
from tests.conftest import REPO


def config_file(tmp_path, text: str):
    path = tmp_path / "dataset.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_file_is_itself_a_valid_config():
    defaults = tomllib.loads(resources.files("dataset_builder").joinpath("defaults.toml").read_text("utf-8"))
    check_against_schema(defaults, "defaults.toml")


def test_shipped_config_loads():
    config = load_config(REPO / "dataset.toml")
    assert (config.name, config.version) == ("ai-policy-articles", "1.0.0")
    assert config.raw_dir == REPO / "raw"
    assert config.settings.langid.seed == 0
    assert (
        config.rebuild_command()
        == "python -m dataset_builder build --config dataset.toml --name ai-policy-articles --version 1.0.0"
    )


def test_unknown_key_is_named_with_its_path(tmp_path):
    with pytest.raises(ConfigError, match=r"dataset\.toml: unknown key 'clean\.rulez'"):
        load_config(config_file(tmp_path, "[clean]\nrulez = []\n"))
    with pytest.raises(ConfigError, match=r"unknown key 'nmae'"):
        load_config(config_file(tmp_path, 'nmae = "x"\n'))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('version = "1.0"\n', r"version: '1\.0' does not match"),
        ("[langid]\nseed = -1\n", r"langid\.seed: -1 is less than the minimum"),
        ("[split]\nratios = { train = 0.5, validation = 0.1, test = 0.1 }\n", r"split\.ratios must sum to 1"),
        (
            '[[clean.extra_rules]]\nname = "x"\npattern = "("\naction = "drop-line"\n',
            r"clean\.extra_rules\[0\] \(x\): bad pattern",
        ),
        (
            '[[clean.extra_rules]]\nname = "x"\npattern = "a"\naction = "delete"\n',
            r"action: 'delete' is not one of",
        ),
        ("name = \n", r"not valid TOML"),
    ],
)
def test_bad_values_are_reported(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_config(config_file(tmp_path, text))


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_user_tables_merge_over_defaults(tmp_path):
    config = load_config(
        config_file(tmp_path, '[ingest.fields]\ntitle = "headline"\n[langid]\nallow = ["es"]\n')
    )
    assert config.settings.ingest.fields["title"] == "headline"
    assert config.settings.ingest.fields["text"] == "text"  # default kept
    assert config.settings.langid == LangidSettings(seed=0, min_chars=20, allow=("es",))
    assert config.recorded()["langid"] == {"seed": 0, "min_chars": 20, "allow": ["es"]}
    assert config.raw_dir == tmp_path / "raw"  # relative to the config file


def test_cli_overrides_are_validated_too(tmp_path):
    with pytest.raises(ConfigError, match="version"):
        load_config(None, overrides={"version": "latest"})


def test_recorded_config_has_no_machine_paths(tmp_path):
    config = load_config(None, overrides={"raw": str(tmp_path), "out": str(tmp_path)})
    assert str(tmp_path) not in repr(config.recorded())
