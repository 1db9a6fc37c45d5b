from pathlib import Path

from piccolo.conf.apps import AppConfig

from .tables import TABLES

APP_CONFIG = AppConfig(
    app_name="assessment",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=TABLES,
    migration_dependencies=["platform_core.staff_pay.piccolo_app", "platform_core.support.piccolo_app", "platform_core.reviews.piccolo_app"],
)
