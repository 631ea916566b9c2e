from django.apps import AppConfig
from django.db.backends.signals import connection_created


class MyCustomersConfig(AppConfig):
    name = "mycustomers"
    verbose_name = "My Customers"

    def ready(self) -> None:
        from mycustomers import checks  # noqa: F401 (registers them)
        from mycustomers.database import tolerate_unreadable_times

        connection_created.connect(tolerate_unreadable_times)
