# nbgrader's configuration for this course. The repo root is the course directory; the
# settings themselves live in graders/course_config.py so the `academy` commands use the same.
import os

from graders.course_config import configure

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)
configure(c, os.path.dirname(os.path.abspath(__file__)))
