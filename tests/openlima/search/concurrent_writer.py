"""A separate CKAN process that creates, updates and deletes datasets through actions.

Started twice at once by test_concurrency.py: ``python concurrent_writer.py INI PREFIX ORG USER N``.
"""
import sys

from ckan.cli import load_config
from ckan.config.middleware import make_app


def main(ini, prefix, org, user, count):
    app = make_app(load_config(ini))
    import ckan.plugins.toolkit as tk

    with app._wsgi_app.test_request_context():
        context = lambda: {"user": user, "ignore_auth": True}  # noqa: E731
        for i in range(int(count)):
            name = f"{prefix}-{i}"
            dataset = tk.get_action("package_create")(
                context(), {"name": name, "title": f"Conjunto {prefix} {i}", "owner_org": org,
                            "notes": "Escrito por dos procesos a la vez"})
            if i % 2 == 0:
                tk.get_action("package_patch")(context(), {"id": dataset["id"],
                                                            "title": f"Conjunto {prefix} {i} (editado)"})
            if i % 3 == 0:
                tk.get_action("package_delete")(context(), {"id": dataset["id"]})


if __name__ == "__main__":
    main(*sys.argv[1:])
