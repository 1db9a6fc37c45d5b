from pathlib import Path

from piccolo.conf.apps import AppConfig

from .tables import Tenant, TenantDomain

APP_CONFIG = AppConfig(
    app_name="tenancy",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Tenant, TenantDomain],
    migration_dependencies=["migrations.piccolo_app"],
)
