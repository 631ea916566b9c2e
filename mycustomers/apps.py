from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.backends.signals import connection_created


class MyCustomersConfig(AppConfig):
    name = "mycustomers"
    verbose_name = "My Customers"

    def ready(self) -> None:
        from mycustomers import checks  # noqa: F401 (registers them)
        from mycustomers.database import tolerate_unreadable_times
        from mycustomers.middleware import start_session_clock

        connection_created.connect(tolerate_unreadable_times)
        user_logged_in.connect(start_session_clock)
