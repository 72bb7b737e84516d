"""Other apps' export files (and RecipeVault's own), recognised by content and read to recipes."""

from recipevault.importing.formats.common import ImportBatch
from recipevault.importing.formats.detect import KNOWN_FORMATS, read_import_file

__all__ = ["KNOWN_FORMATS", "ImportBatch", "read_import_file"]
