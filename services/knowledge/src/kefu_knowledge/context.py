"""What the knowledge use cases need, gathered once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from .adapters.store import ArticleStore, LibraryStore
from .search import SearchIndex
from .settings import Settings


@dataclass
class Knowledge:
    settings: Settings
    articles: ArticleStore
    library: LibraryStore
    index: SearchIndex
