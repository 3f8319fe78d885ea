"""The settings a command runs with: config.toml read once per command, every section
checked against the part of the program that owns it."""

from __future__ import annotations

import dataclasses

import click

from bot.settings import SECTIONS as BOT_SECTIONS
from bot.settings import bot_config
from service.settings import (
    SERVICE_SECTIONS,
    ConfigFile,
    Settings,
    check_sections,
    read_config,
    service_settings,
)
from web.settings import SECTIONS as WEB_SECTIONS
from web.settings import web_settings


def config_file(ctx: click.Context) -> ConfigFile:
    """config.toml as the root command's --config names it, read and checked once."""
    root = ctx.find_root()
    if not isinstance(root.obj, ConfigFile):
        config = read_config(root.obj)
        check_sections(config, (*SERVICE_SECTIONS, *BOT_SECTIONS, *WEB_SECTIONS))
        # Every section is parsed now, so that a bad field is reported whatever the command.
        service_settings(config)
        bot_config(config)
        web_settings(config)
        root.obj = config
    return root.obj


def settings(ctx: click.Context) -> Settings:
    """The answering service's settings, with the page's public address for its links."""
    config = config_file(ctx)
    return dataclasses.replace(service_settings(config), public_url=web_settings(config).public_url)
