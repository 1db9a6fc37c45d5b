from pathlib import Path

from piccolo.conf.apps import AppConfig

from .tables import TABLES

APP_CONFIG = AppConfig(
    app_name="elder_care",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=TABLES,
    migration_dependencies=["platform_core.orders.piccolo_app", "platform_core.staff.piccolo_app"],
)
