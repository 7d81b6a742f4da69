# nbgrader for a course's formgrader service (run by the hub as the course's grader account,
# in the course directory, whose own nbgrader_config.py adds the gradebook and limits).
import os

from nbgrader.auth import JupyterHubAuthPlugin

c = get_config()  # noqa: F821
c.CourseDirectory.course_id = os.environ["ACADEMY_COURSE_ID"]  # = the service's name
if os.environ.get("ACADEMY_COURSE_ROOT"):  # on Kubernetes; on one machine the server's cwd
    c.CourseDirectory.root = os.environ["ACADEMY_COURSE_ROOT"]
c.Exchange.root = os.environ.get("ACADEMY_EXCHANGE", "/srv/nbgrader/exchange")
c.Exchange.path_includes_course = True
c.Authenticator.plugin_class = JupyterHubAuthPlugin
