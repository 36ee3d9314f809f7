"""Pure helpers shared by the three Open Lima extensions, the static site and the stack.

Nothing here imports CKAN or any ``ckanext`` package (CONVENTIONS §8): the extensions
import this package, never each other.
"""
