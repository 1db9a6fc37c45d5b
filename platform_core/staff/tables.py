from piccolo.table import Table

TABLES: list[type[Table]] = []
