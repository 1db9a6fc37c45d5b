from pathlib import Path

from piccolo.conf.apps import AppConfig

from .console_tables import CONSOLE_TABLES
from .customer_admin_tables import CUSTOMER_ADMIN_TABLES
from .second_factor_tables import SECOND_FACTOR_TABLES
from .tables import CUSTOMER_TABLES

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[*CUSTOMER_TABLES, *CONSOLE_TABLES, *SECOND_FACTOR_TABLES, *CUSTOMER_ADMIN_TABLES],
    migration_dependencies=["platform_core.tenancy.piccolo_app"],
)
