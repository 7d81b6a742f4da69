"""The course on JupyterHub: settings (settings.py), the JupyterHub configuration they become
(config.py), Unix accounts (accounts.py), folders and exchange permissions (layout.py), the
proxy (proxy.py), and the trial hub behind `academy hub --demo` (demo.py)."""
