pytest_plugins = ["exporter.testing"]
