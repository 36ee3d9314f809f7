"""One ``pip install -e .`` installs CKAN 2.12, its extensions and all of Open Lima.

The three CKAN extensions keep the standard extension layout
(``ckanext-<name>/ckanext/<name>/``) and the static site generator lives in
``site/openlima_site/``; the pure helpers they share (Lima's clock) live in
``common/openlima_common/``; this file maps each of them into one distribution.
"""
from pathlib import Path

from setuptools import find_namespace_packages, setup

HERE = Path(__file__).parent
EXTENSIONS = ("openlima", "limahonesta", "limaactiva")


def read_requirements(name):
    lines = (HERE / "requirements" / name).read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def packages_and_dirs():
    packages, package_dir = [], {}
    for ext in EXTENSIONS:
        root = f"ckanext-{ext}/ckanext/{ext}"
        package_dir[f"ckanext.{ext}"] = root
        packages.append(f"ckanext.{ext}")
        packages += [f"ckanext.{ext}.{sub}" for sub in find_namespace_packages(root)]
    package_dir["openlima_site"] = "site/openlima_site"
    packages.append("openlima_site")
    packages += [f"openlima_site.{sub}" for sub in find_namespace_packages("site/openlima_site")]
    package_dir["openlima_stack"] = "stack/openlima_stack"
    packages.append("openlima_stack")
    package_dir["openlima_common"] = "common/openlima_common"
    packages.append("openlima_common")
    return packages, package_dir


PACKAGES, PACKAGE_DIR = packages_and_dirs()

setup(
    name="openlima",
    version="0.1.0",
    description="Open Lima: the open-government platform of the Municipalidad Metropolitana de Lima",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="AGPL-3.0-or-later",
    python_requires=">=3.10",
    packages=PACKAGES,
    package_dir=PACKAGE_DIR,
    include_package_data=True,
    package_data={"": ["*.yaml", "*.yml", "*.json", "*.html", "*.sql", "*.css", "*.js",
                       "*.po", "*.pot", "*.mo", "*.ini", "*.txt", "*.csv", "*.ttl",
                       "*.mako", "alembic.ini"]},
    zip_safe=False,
    install_requires=read_requirements("ckan.txt") + read_requirements("base.txt"),
    extras_require={"test": read_requirements("test.txt"),
                    "bench": read_requirements("bench.txt"),
                    "audit": read_requirements("audit.txt")},
    entry_points={
        "ckan.plugins": [
            "openlima = ckanext.openlima.plugin:OpenLimaPlugin",
            "openlima_search = ckanext.openlima.plugin:OpenLimaSearchPlugin",
            "openlima_plan = ckanext.openlima.plugin:OpenLimaPlanPlugin",
            "openlima_harvest = ckanext.openlima.harvest.plugin:OpenLimaHarvestPlugin",
            "openlima_datastore = ckanext.openlima.plugin:OpenLimaDatastorePlugin",
            "openlima_pdf_view = ckanext.openlima.plugin:OpenLimaPdfViewPlugin",
            "openlima_ckan_es = ckanext.openlima.plugin:OpenLimaCkanSpanishPlugin",
            "limahonesta = ckanext.limahonesta.plugin:LimaHonestaPlugin",
            "limaactiva = ckanext.limaactiva.plugin:LimaActivaPlugin",
        ],
        "ckan.rdf.profiles": [
            "openlima_dcat_ap_3 = ckanext.openlima.dcat.profile:OpenLimaDCATAP3Profile",
        ],
        "console_scripts": [
            "openlima-site = openlima_site.cli:main",
            "openlima-stack = openlima_stack.cli:main",
        ],
    },
)
