"""A package only so the wheel ships the migrations; Piccolo imports each file by its bare name,
hence the hello_ prefix (a bare 0001_initial would clash with other apps' files)."""
