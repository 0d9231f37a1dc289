"""Packaging for crowd_ws: everything is read from settings.ini (nbdev 2 layout)."""
from configparser import ConfigParser
from setuptools import find_packages, setup

cfg = ConfigParser(delimiters=["="])
cfg.read("settings.ini", encoding="utf-8")
cfg = cfg["DEFAULT"]
lib_path = cfg["lib_path"]


def reqs(key):
    return cfg.get(key, "").split()


extras = {k: reqs(f"{k}_requirements") for k in ("dev", "dask", "spacy", "bench")}
extras["all"] = sorted({r for v in extras.values() for r in v})

setup(
    name=cfg["lib_name"],
    version=cfg["version"],
    description=cfg["description"],
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    author=cfg["author"],
    author_email=cfg["author_email"],
    license="Apache-2.0",
    url=cfg["git_url"],
    keywords=cfg["keywords"].split(),
    python_requires=f">={cfg['min_python']}",
    packages=find_packages(include=[lib_path, lib_path + ".*"]),
    include_package_data=True,
    install_requires=reqs("requirements"),
    extras_require=extras,
    entry_points={"nbdev": [f"{lib_path}={lib_path}._modidx:d"],
                  "console_scripts": cfg.get("console_scripts", "").split()},
    zip_safe=False,
)
