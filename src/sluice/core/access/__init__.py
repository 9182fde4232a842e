"""Permissions per project: the named permissions areas define, the roles that grant them
(built-in and custom) and who holds which role in which project."""
