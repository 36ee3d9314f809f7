"""Lima Honesta: anonymous corruption reports (skeleton; features come with its own issue)."""
import ckan.plugins as p
import ckan.plugins.toolkit as tk


class LimaHonestaPlugin(p.SingletonPlugin):
    p.implements(p.IConfigurer)

    def update_config(self, config):
        tk.add_template_directory(config, "templates")
