from pathlib import Path

from piccolo.conf.apps import AppConfig

from .console_tables import CONSOLE_TABLES
from .tables import CUSTOMER_TABLES

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[*CUSTOMER_TABLES, *CONSOLE_TABLES],
    migration_dependencies=["platform_core.tenancy.piccolo_app"],
)
