"""Database-wide SQL: extensions, the app role and the RLS helpers every domain's migration uses."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

APP_CONFIG = AppConfig(
    app_name="hearth_db",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[],
)
