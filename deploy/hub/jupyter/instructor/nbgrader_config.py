# nbgrader for an instructor's own server on the course hub: the assignment list and the
# course list (links to the formgrader services of the courses they teach, from hub groups).
import os

from nbgrader.auth import JupyterHubAuthPlugin

c = get_config()  # noqa: F821
c.Exchange.root = os.environ.get("ACADEMY_EXCHANGE", "/srv/nbgrader/exchange")
c.Exchange.path_includes_course = True  # ~/<course>/<assignment>: several courses side by side
c.Authenticator.plugin_class = JupyterHubAuthPlugin
