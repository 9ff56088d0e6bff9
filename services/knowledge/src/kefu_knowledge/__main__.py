"""Entry point placeholder: the service's app lands with its first commit of routes."""


def main() -> None:
    raise SystemExit("kefu-knowledge: not built yet")
