"""Load and validate the course catalog (courses/*.yaml, assignments/*.yaml).

Every problem is reported as one line: the file, the field, and what is wrong.
"""
from .load import Catalog, CatalogError, load_catalog
from .schema import Assignment, Course

__all__ = ["Catalog", "CatalogError", "load_catalog", "Assignment", "Course"]
