"""The plugin's Piccolo app: its tables and its own migrations, named by register_piccolo_apps."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from .tables import Welcome

APP_CONFIG = AppConfig(
    app_name="hello",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Welcome],
    # hello_welcome references core_tenant.
    migration_dependencies=["platform_core.tenancy.piccolo_app"],
)
