"""Settings from the environment, and the tenant and database commands of `hearth`."""

from __future__ import annotations

from pathlib import Path

import pytest

from platform_core.settings import SettingsError, load_settings
from platform_core.testing.pytest_plugin import run_hearth, unique_slug

REPO = Path(__file__).resolve().parents[2]


def test_a_bad_setting_names_its_variable(tmp_path):
    with pytest.raises(SettingsError, match="HEARTH_PORT"):
        load_settings({"HEARTH_PORT": "eighty", "HEARTH_DATA_DIR": str(tmp_path)})
    with pytest.raises(SettingsError, match="HEARTH_ENV"):
        load_settings({"HEARTH_ENV": "staging", "HEARTH_DATA_DIR": str(tmp_path)})


def test_production_requires_a_secret_key_and_a_database(tmp_path):
    with pytest.raises(SettingsError, match="HEARTH_SECRET_KEY"):
        load_settings({"HEARTH_ENV": "prod", "DATABASE_URL": "postgresql://db/hearth"})
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        load_settings({"HEARTH_ENV": "prod", "HEARTH_SECRET_KEY": "k" * 40})
    with pytest.raises(SettingsError, match="at least 32"):
        load_settings({"HEARTH_SECRET_KEY": "short", "HEARTH_DATA_DIR": str(tmp_path)})


def test_dev_keeps_its_generated_secret_across_starts(tmp_path):
    first = load_settings({"HEARTH_DATA_DIR": str(tmp_path)})
    again = load_settings({"HEARTH_DATA_DIR": str(tmp_path)})
    assert first.secret_key == again.secret_key and len(first.secret_key) >= 32


def test_the_command_line_refuses_a_bad_setting_naming_the_variable(hearth_settings):
    done = run_hearth(hearth_settings, "tenants", "list", HEARTH_DB_POOL_MAX="lots")
    assert done.returncode != 0
    assert "HEARTH_DB_POOL_MAX" in done.stderr


def test_db_status_lists_every_migration_as_applied(hearth_settings):
    done = run_hearth(hearth_settings, "db", "status")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert any("tenancy" in line for line in lines)
    assert all(line.startswith("applied") for line in lines), done.stdout


def test_applying_the_demo_tenants_twice_changes_nothing_the_second_time(hearth_settings, tmp_path):
    slug = unique_slug("demo")
    source = (REPO / "tenants" / "harbour.toml").read_text(encoding="utf-8").replace('slug = "harbour"', f'slug = "{slug}"')
    path = tmp_path / f"{slug}.toml"
    path.write_text(source, encoding="utf-8")

    first = run_hearth(hearth_settings, "tenants", "apply", str(path))
    assert first.returncode == 0, first.stderr
    assert f"{slug}: created" in first.stdout
    second = run_hearth(hearth_settings, "tenants", "apply", str(path))
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "no changes"

    listed = run_hearth(hearth_settings, "tenants", "list")
    assert slug in listed.stdout and "Harbour Home Care" in listed.stdout


def test_tenants_create_suspend_and_resume_from_the_command_line(hearth_settings):
    slug = unique_slug("cli")
    created = run_hearth(hearth_settings, "tenants", "create", slug, "--name", "Cli Franchise", "--locale", "en")
    assert created.returncode == 0, created.stderr
    taken = run_hearth(hearth_settings, "tenants", "create", slug, "--name", "Again")
    assert taken.returncode == 1 and "already exists" in taken.stderr

    suspended = run_hearth(hearth_settings, "tenants", "suspend", slug, "--reason", "unpaid royalties")
    assert f"{slug} is suspended" in suspended.stdout
    resumed = run_hearth(hearth_settings, "tenants", "resume", slug)
    assert f"{slug} is active" in resumed.stdout

    bad = run_hearth(hearth_settings, "tenants", "create", "Not A Slug", "--name", "X")
    assert bad.returncode == 1 and "slug" in bad.stderr.lower()
    unknown_zone = run_hearth(hearth_settings, "tenants", "create", unique_slug("tz"), "--name", "X", "--timezone", "Mars/Olympus")
    assert unknown_zone.returncode == 1 and "time zone" in unknown_zone.stderr.lower()
