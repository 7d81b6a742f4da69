"""nbgitpuller links, one per assignment: a click on the hub pulls the student notebook into
the student's home and opens it (https://github.com/jupyterhub/nbgitpuller, link format of
its "link generator": /hub/user-redirect/git-pull?repo=...&branch=...&urlpath=...).

The repository must hold only release/ (a public "release" repository that CI fills from
release/), never this one: this one has source/, the solutions and hidden tests.

    python -m graders.hub.links https://hub.example.edu https://git.example.edu/academy-release
"""
from __future__ import annotations

import argparse
from pathlib import Path
from urllib.parse import urlencode

from ..catalog import load_catalog


def nbgitpuller_link(hub: str, repo: str, aid: str, branch: str = "main") -> str:
    folder = repo.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")  # where git clones it
    query = urlencode({"repo": repo, "branch": branch,
                       "urlpath": f"tree/{folder}/{aid}/{aid}.ipynb"})
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{query}"


def course_links(root: Path, hub: str, repo: str, branch: str = "main") -> dict[str, dict[str, str]]:
    """{course id: {assignment id: link}} for every course of the catalog, in course order,
    each module followed by its translated editions (dc01-power, dc01-power-ko, ...)."""
    catalog = load_catalog(root)
    return {c.id: {edition: nbgitpuller_link(hub, repo, edition, branch)
                   for aid in c.assignments
                   for edition in [aid, *(f"{aid}-{lang}" for lang, ids in c.editions.items() if aid in ids)]}
            for c in catalog.courses.values()}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description="Print an nbgitpuller link per assignment.")
    p.add_argument("hub", help="the hub's public URL")
    p.add_argument("repo", help="the git URL of the release-only repository")
    p.add_argument("--branch", default="main")
    p.add_argument("--root", type=Path, default=Path("."), help="the course directory")
    args = p.parse_args(argv)
    for course, links in course_links(args.root, args.hub, args.repo, args.branch).items():
        print(f"# {course}")
        for aid, link in links.items():
            print(f"{aid}\t{link}")


if __name__ == "__main__":
    main()
