from pathlib import Path

from piccolo.conf.apps import AppConfig

from .tables import PluginDefault, TenantPlugin

APP_CONFIG = AppConfig(
    app_name="pluginsys",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[TenantPlugin, PluginDefault],
    migration_dependencies=["platform_core.tenancy.piccolo_app"],
)
