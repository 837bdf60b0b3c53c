"""yishi (议事): a plugin-based workflow engine for community deliberation and dispute mediation."""

__version__ = "0.1.0"
