"""Published releases: bundles in a directory (or served from it over HTTP) that many replicas follow."""

from cardbin.publish.destination import Destination, Pointer, Published

__all__ = ["Destination", "Pointer", "Published"]
