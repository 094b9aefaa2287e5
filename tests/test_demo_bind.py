"""`make demo` serves DEBUG pages and known passwords: it listens on this machine only
unless DEMO_BIND says otherwise."""

import sys

from devstack.demo import demo_bind, web_command


def test_the_demo_web_server_listens_on_localhost_unless_told_otherwise():
    assert demo_bind({}) == "127.0.0.1"
    assert demo_bind({"DEMO_BIND": "  "}) == "127.0.0.1"
    assert demo_bind({"DEMO_BIND": "0.0.0.0"}) == "0.0.0.0"


def test_the_gunicorn_command_line_binds_the_chosen_address_and_port():
    command = web_command(demo_bind({}), 8000)

    assert command[0].endswith("/gunicorn") and command[0].startswith(sys.prefix)
    assert command[command.index("--bind") + 1] == "127.0.0.1:8000"
    assert command.count("--bind") == 1
    assert not any("0.0.0.0" in part for part in command)
    opened = web_command(demo_bind({"DEMO_BIND": "0.0.0.0"}), 8080)
    assert opened[opened.index("--bind") + 1] == "0.0.0.0:8080"
