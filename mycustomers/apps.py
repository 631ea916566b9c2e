from django.apps import AppConfig


class MyCustomersConfig(AppConfig):
    name = "mycustomers"
    verbose_name = "My Customers"
