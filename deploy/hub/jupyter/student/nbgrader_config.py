# nbgrader for a student's server on the course hub: the shared exchange, and the courses a
# student sees are the hub groups nbgrader-<course> they are in (JupyterHubAuthPlugin).
import os

from nbgrader.auth import JupyterHubAuthPlugin

c = get_config()  # noqa: F821
c.Exchange.root = os.environ.get("ACADEMY_EXCHANGE", "/srv/nbgrader/exchange")
c.Exchange.path_includes_course = True  # ~/<course>/<assignment>: several courses side by side
c.Authenticator.plugin_class = JupyterHubAuthPlugin
