"""Run the knowledge service: `python -m kefu_knowledge` (or `kefu-knowledge`)."""

from kefu_kit import run

from .app import create_app
from .settings import Settings


def main() -> None:
    settings = Settings()
    run(create_app(settings), settings)


if __name__ == "__main__":
    main()
