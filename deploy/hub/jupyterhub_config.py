# JupyterHub configuration for an Academy course hub on one machine.
#
# Everything course-specific (who teaches and takes which course, the exchange folder, how
# people log in) is in a settings file: hub.yaml next to this file, or the file named by
# $ACADEMY_HUB_SETTINGS. Start as root (the hub starts each user's server as that Unix user):
#
#     ACADEMY_HUB_SETTINGS=/etc/academy/hub.yaml jupyterhub -f deploy/hub/jupyterhub_config.py
#
# The translation of settings into JupyterHub's traits is graders.hub.config.configure_hub.
import os
from pathlib import Path

from graders.hub.config import configure_hub
from graders.hub.settings import load_settings

here = Path(__file__).resolve().parent
settings = load_settings(os.environ.get("ACADEMY_HUB_SETTINGS") or here / "hub.yaml")

c = get_config()  # noqa: F821 (provided by JupyterHub when it loads this file)
configure_hub(c, settings, here)
