from __future__ import annotations

from pathlib import Path

import pytest

from config.env import Env, ImproperlyConfiguredError, read_dotenv


def test_environment_wins_over_dotenv(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("# comment\nDEBUG=true\nNAME='from file'\nPORT=80\n", encoding="utf-8")
    env = Env({"PORT": "8080"}, read_dotenv(dotenv))
    assert env.boolean("DEBUG") is True
    assert env.string("NAME") == "from file"
    assert env.integer("PORT", 1) == 8080
    assert env.strings("MISSING", ["a"]) == ["a"]


@pytest.mark.parametrize(("method", "value"), [("boolean", "perhaps"), ("integer", "ten")])
def test_malformed_values_name_the_setting(method: str, value: str) -> None:
    env = Env({"SETTING_X": value})

    def read(name: str) -> object:
        return env.boolean(name) if method == "boolean" else env.integer(name, 0)

    with pytest.raises(ImproperlyConfiguredError, match="SETTING_X"):
        read("SETTING_X")


def test_require_refuses_blank() -> None:
    with pytest.raises(ImproperlyConfiguredError, match="SECRET_KEY"):
        Env({"SECRET_KEY": "  "}).require("SECRET_KEY")


def test_an_empty_value_means_the_default() -> None:
    env = Env({"QOLDAU_MAIL_TRANSPORT": "", "SECURE_SSL_REDIRECT": " ", "PORT": ""})
    assert env.string("QOLDAU_MAIL_TRANSPORT", "smtp") == "smtp"
    assert env.boolean("SECURE_SSL_REDIRECT", default=True) is True
    assert env.integer("PORT", 25) == 25
