"""localcoin's composition package: settings, database, app factory and CLI."""
