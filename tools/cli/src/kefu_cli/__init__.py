"""kefu's command line tools (an app package: nothing imports it)."""
