"""A small area, greetings, declared once and found on every door: the worked example of
``docs/areas.md`` (``tests/areas/test_adding_an_area.py`` keeps the two in step)."""

from sluice.areas import Area, NavEntry, Permission, SdkPart, Subscriber
from sluice.core.context import Role

HERE = "tests.areas.hello_area"

AREA = Area(
    "hello", "Greetings, stored per project and counted.",
    service=f"{HERE}.core:HelloService",
    jobs=(f"{HERE}.core",),
    api=(f"{HERE}.api",),
    web=(f"{HERE}.web",),
    nav=(NavEntry("Hello", "/hello"),),
    cli=(f"{HERE}.cli",),
    sdk=(SdkPart("hello", local=f"{HERE}.sdk:LocalHello", remote=f"{HERE}.sdk:RemoteHello"),),
    tables=f"{HERE}.core:METADATA",
    templates=HERE,
    subscribers=(Subscriber("greet_datasets", ("dataset.committed",),
                            f"{HERE}.core:on_dataset_committed"),),
    permissions=(Permission("hello.read", "See greetings.", Role.VIEWER),
                 Permission("hello.greet", "Greet someone.", Role.EDITOR)),
    read="hello.read", write="hello.greet",
)
